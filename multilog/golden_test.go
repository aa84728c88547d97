package multilog

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

var update = flag.Bool("update", false, "rewrite testdata/rotation.golden with Debian's multilog")

// rotationCases are pinned by testdata/rotation.golden: the sizes of the
// archives and of current that Debian's multilog writes for mixedInput,
// so that 0.76's rotation points stay checked where Debian's multilog is
// not installed.
var rotationCases = [][]string{
	{"s4096", "n1000", "./main"},
	{"s6000", "n1000", "./main"},
	{"s12345", "n1000", "./main"},
	{"-*debug:*", "s4096", "n1000", "./main"},
}

func rotationSizes(t *testing.T, prog string, args []string) string {
	dir := t.TempDir()
	if _, code := runOn(t, prog, dir, mixedInput(7, 300), args...); code != 0 {
		t.Fatalf("%s %q: exit %d", prog, args, code)
	}
	s := readLog(t, filepath.Join(dir, "main"))
	var b strings.Builder
	for _, a := range s.archives {
		fmt.Fprintf(&b, "%d ", len(archiveBody(a)))
	}
	fmt.Fprintf(&b, "current %d", len(s.current))
	return b.String()
}

func TestRotationPointsGolden(t *testing.T) {
	golden := filepath.Join("testdata", "rotation.golden")
	if *update {
		peer := testbin.Peer(t, "multilog")
		var b strings.Builder
		for _, args := range rotationCases {
			fmt.Fprintf(&b, "%s: %s\n", strings.Join(args, " "), rotationSizes(t, peer, args))
		}
		os.MkdirAll("testdata", 0755)
		if err := os.WriteFile(golden, []byte(b.String()), 0644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	if len(lines) != len(rotationCases) {
		t.Fatalf("%s has %d lines for %d cases; run with -update", golden, len(lines), len(rotationCases))
	}
	for i, args := range rotationCases {
		got := fmt.Sprintf("%s: %s", strings.Join(args, " "), rotationSizes(t, ours(t), args))
		if got != lines[i] {
			t.Errorf("rotation points differ from Debian's:\ngot  %.300s\nwant %.300s", got, lines[i])
		}
	}
}
