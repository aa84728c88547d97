package subtool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
)

func TestSubListUnsub(t *testing.T) {
	l := ezmlmtest.New(t, "")
	if code, stderr := l.Run(Sub, "ezmlm-sub", "", nil, l.Dir, "Ann@Example.NET", "bob@example.com"); code != 0 {
		t.Fatalf("ezmlm-sub: %d %q", code, stderr)
	}
	if code, stderr := l.Run(Sub, "ezmlm-sub", "carol@example.org\n# a comment\n\n", nil, l.Dir); code != 0 {
		t.Fatalf("ezmlm-sub from input: %d %q", code, stderr)
	}
	if code, stderr := l.Run(Sub, "ezmlm-sub", "", nil, l.Dir, "mod", "mod@example.org"); code != 0 {
		t.Fatalf("ezmlm-sub mod: %d %q", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "out")
	list := func(args ...string) string {
		f, _ := os.Create(out)
		defer f.Close()
		inv := l.Run
		_ = inv
		code, stderr := runTo(l, f, args...)
		if code != 0 {
			t.Fatalf("ezmlm-list %v: %d %q", args, code, stderr)
		}
		b, _ := os.ReadFile(out)
		return string(b)
	}
	got := strings.Split(strings.TrimSpace(list(l.Dir)), "\n")
	if len(got) != 3 || !contains(got, "Ann@example.net") || !contains(got, "carol@example.org") {
		t.Errorf("ezmlm-list: %q", got)
	}
	if n := list("-n", l.Dir); n != "3\n" {
		t.Errorf("ezmlm-list -n: %q", n)
	}
	if m := list(l.Dir, "mod"); m != "mod@example.org\n" {
		t.Errorf("ezmlm-list dir mod: %q", m)
	}
	if m := list(filepath.Join(l.Dir, "mod")); m != "mod@example.org\n" {
		t.Errorf("ezmlm-list dir/mod (0.53's way): %q", m)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{l.Dir}, 0},
		{[]string{l.Dir, "digest", "allow"}, 99},
		{[]string{"-n", l.Dir, "."}, 99},
	} {
		if code, _ := l.Run(IsSubN, "ezmlm-issubn", "", []string{"SENDER=ANN@example.net"}, c.args...); code != c.code {
			t.Errorf("ezmlm-issubn %v: exit %d, want %d", c.args, code, c.code)
		}
	}
	if code, _ := l.Run(Unsub, "ezmlm-unsub", "", nil, l.Dir, "ann@example.net"); code != 0 {
		t.Fatal("ezmlm-unsub")
	}
	if n := list("-n", l.Dir); n != "2\n" {
		t.Errorf("after ezmlm-unsub: %q", n)
	}
	log, _ := os.ReadFile(filepath.Join(l.Dir, "Log"))
	if !strings.Contains(string(log), " +manual Ann@example.net\n") || !strings.Contains(string(log), " -manual ann@example.net\n") {
		t.Errorf("Log %q", log)
	}
	// A second argument without '@' is the subdirectory, as in ezmlm-idx 7.
	if code, stderr := l.Run(Sub, "ezmlm-sub", "", nil, l.Dir, ".", "no.at.sign"); code != 100 || stderr != "ezmlm-sub: fatal: address does not contain @\n" {
		t.Errorf("an address without @: %d %q", code, stderr)
	}
	if code, stderr := l.Run(Sub, "ezmlm-sub", "", nil); code != 100 || !strings.HasPrefix(stderr, "ezmlm-sub: usage: ") {
		t.Errorf("usage: %d %q", code, stderr)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
