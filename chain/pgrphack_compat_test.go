package chain_test

import (
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// statIDs returns pid, process group and session from /proc/PID/stat text.
func statIDs(t *testing.T, stat string) (pid, pgrp, sid string) {
	t.Helper()
	i := strings.LastIndexByte(stat, ')')
	f := strings.Fields(stat[i+1:])
	if i < 0 || len(f) < 4 {
		t.Fatalf("odd stat line %q", stat)
	}
	return strings.Fields(stat)[0], f[2], f[3]
}

func TestPgrphackMatchesDebian(t *testing.T) {
	for _, prog := range []string{testbin.Path(t, "pgrphack"), testbin.Peer(t, "pgrphack")} {
		got := run(t, []string{basePath}, "", prog, "cat", "/proc/self/stat")
		if got.code != 0 {
			t.Fatalf("%s: exit %d %q", prog, got.code, got.stderr)
		}
		pid, pgrp, sid := statIDs(t, got.stdout)
		if pgrp != pid || sid != pid {
			t.Errorf("%s: child pid %s runs in group %s, session %s; want its own", prog, pid, pgrp, sid)
		}
	}
	ours := testbin.Path(t, "pgrphack")
	theirs := testbin.Peer(t, "pgrphack")
	for _, args := range [][]string{nil, {"/nonexistent/prog"}, {"sh", "-c", "exit 3"}} {
		got := run(t, []string{basePath}, "", append([]string{ours}, args...)...)
		want := run(t, []string{basePath}, "", append([]string{theirs}, args...)...)
		if got.code != want.code {
			t.Errorf("pgrphack %q: exit %d, Debian's %d", args, got.code, want.code)
		}
	}
}
