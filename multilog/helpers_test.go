package multilog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// ours is the built multilog.
func ours(t *testing.T) string { return testbin.Path(t, "multilog") }

// runOn runs prog in dir with the script args, input as a regular file on
// standard input (so that reads have the same sizes every time), and
// returns what it wrote to stderr and its exit code.
func runOn(t *testing.T, prog, dir string, input []byte, args ...string) (string, int) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(in, input, 0644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Stdin = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = []string{"PATH=/usr/bin:/bin", "TZ=UTC"}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stderr.String(), 0
	case errors.As(err, &ee):
		return stderr.String(), ee.ExitCode()
	}
	t.Fatalf("run %s: %v", prog, err)
	return "", -1
}

// logState is what a log directory holds, with the archives' labels left
// out (they are times) but their order, suffixes and contents kept.
type logState struct {
	current, state string
	currentMode    os.FileMode
	archives       []string // suffix ":" mode ":" contents, oldest first
	others         []string // "name:mode" of the other files, sorted
}

func readLog(t *testing.T, dir string) logState {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s logState
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		switch {
		case n == "current":
			b, _ := os.ReadFile(p)
			s.current = string(b)
			fi, _ := os.Stat(p)
			s.currentMode = fi.Mode().Perm()
		case n == "state":
			b, _ := os.ReadFile(p)
			s.state = string(b)
		case strings.HasPrefix(n, "@") && len(n) == 27:
			b, _ := os.ReadFile(p)
			fi, _ := os.Stat(p)
			s.archives = append(s.archives, fmt.Sprintf("%s:%v:%s", n[26:], fi.Mode().Perm(), b))
		default:
			fi, _ := os.Stat(p)
			s.others = append(s.others, fmt.Sprintf("%s:%v", n, fi.Mode().Perm()))
		}
	}
	return s
}

func (s logState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "current (%v) %d bytes, state %q, others %q, %d archives:", s.currentMode, len(s.current), s.state, s.others, len(s.archives))
	for _, a := range s.archives {
		fmt.Fprintf(&b, " %.13s...(%d)", a, len(a))
	}
	return b.String()
}

func (s logState) equal(o logState) bool {
	if s.current != o.current || s.state != o.state || s.currentMode != o.currentMode ||
		len(s.archives) != len(o.archives) || strings.Join(s.others, "/") != strings.Join(o.others, "/") {
		return false
	}
	for i := range s.archives {
		if s.archives[i] != o.archives[i] {
			return false
		}
	}
	return true
}

// waitFor polls cond every few milliseconds until it holds or the
// deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !testbin.Eventually(20*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func fileIs(path, want string) func() bool {
	return func() bool {
		b, err := os.ReadFile(path)
		return err == nil && string(b) == want
	}
}

func archivesIn(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "@*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

// started is a multilog running with a pipe on its standard input.
type started struct {
	*testbin.Proc
	stdin *os.File
}

func startOn(t *testing.T, prog, dir string, args ...string) *started {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Stdin = r
	p := testbin.Start(t, cmd)
	r.Close()
	t.Cleanup(func() { w.Close() }) // before the kill: the end of input first
	return &started{Proc: p, stdin: w}
}

func (s *started) wait(t *testing.T) int { return s.Exit(t, 20*time.Second) }

func (s *started) stderrText() string { return s.Stderr.String() }

// archiveBody is the contents part of a logState archive entry.
func archiveBody(a string) string {
	_, rest, _ := strings.Cut(a, ":")
	_, body, _ := strings.Cut(rest, ":")
	return body
}
