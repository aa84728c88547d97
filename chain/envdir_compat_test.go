package chain_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// envDirCase builds one directory for envdir to read.
type envDirCase struct {
	why   string
	build func(t *testing.T, dir string)
}

func files(m map[string]string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		for name, content := range m {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var envDirCases = []envDirCase{
	{"the tricky values together", files(map[string]string{
		"A":       "new\n",
		"EMPTY":   "",
		"NL":      "\n",
		"BLANKS":  " \t \t\n",
		"NUL":     "x\x00y\x00\n",
		"MULTI":   "first\nsecond\n",
		"TRAIL":   "v \t",
		"LEAD":    "  v",
		"CR":      "a\r\n",
		".DOT":    "hidden\n",
		"EQ=X":    "val\n",
		"EQE=Y":   "",
		"LONG":    strings.Repeat("0123456789", 2000),
		"UNICODE": "h\u00e9llo w\u00f6rld\n",
		"NULEND":  "z \x00",
	})},
	{"an empty directory changes nothing", files(nil)},
	{"a file PATH does not change where the child is found", files(map[string]string{"PATH": "/nonexistent\n"})},
	{"a subdirectory is an error", func(t *testing.T, dir string) {
		files(map[string]string{"A": "a\n"})(t, dir)
		if err := os.Mkdir(dir+"/SUB", 0o755); err != nil {
			t.Fatal(err)
		}
	}},
	{"a FIFO without a writer reads as empty", func(t *testing.T, dir string) {
		if err := syscall.Mkfifo(dir+"/FIFO", 0o644); err != nil {
			t.Fatal(err)
		}
	}},
	{"a dangling symlink repeats the previous value", func(t *testing.T, dir string) {
		files(map[string]string{"A": "x\x00y\n", "B": "b\n", "C": "\n"})(t, dir)
		for _, n := range []string{"D1", "D2", "D3"} {
			if err := os.Symlink(dir+"/nowhere", dir+"/"+n); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"an unreadable file is an error", func(t *testing.T, dir string) {
		if err := os.Symlink("/proc/self/mem", dir+"/MEM"); err != nil {
			t.Fatal(err)
		}
	}},
}

// sortedEnv turns `env -0` output into a sorted list.
func sortedEnv(out string) []string {
	list := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	slices.Sort(list)
	return list
}

func TestEnvdirMatchesDebian(t *testing.T) {
	ours := testbin.Path(t, "envdir")
	theirs := testbin.Peer(t, "envdir")
	env := []string{basePath, "A=old", "EMPTY=was set", "KEEP=1", "EQ=old", "EQE=old"}
	for _, tc := range envDirCases {
		dir := t.TempDir()
		tc.build(t, dir)
		got := run(t, env, "", ours, dir, "env", "-0")
		want := run(t, env, "", theirs, dir, "env", "-0")
		if got.code != want.code {
			t.Errorf("%s: exit %d (%q), Debian's %d (%q)", tc.why, got.code, got.stderr, want.code, want.stderr)
			continue
		}
		if g, w := sortedEnv(got.stdout), sortedEnv(want.stdout); !slices.Equal(g, w) {
			t.Errorf("%s: environment\n%q\nDebian's\n%q", tc.why, g, w)
		}
		if got.stderr != want.stderr {
			t.Errorf("%s: stderr %q, Debian's %q", tc.why, got.stderr, want.stderr)
		}
	}
}
