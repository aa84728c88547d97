package testbin

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Situation is one way of running a program, most often a failing one (a
// missing directory, a symbolic link loop, a bad address, a bad option),
// set up alike for Debian's program and for ours.
type Situation struct {
	Why   string
	Args  []string
	Env   []string // the whole environment; nil means PATH=/usr/bin:/bin only
	Stdin string
	// Setup fills the working directory the program starts in; the
	// arguments name what it made by relative paths. Nil leaves it empty.
	Setup func(t testing.TB, dir string)
	// Skip, when set, says why this situation cannot be compared (Debian's
	// program misbehaves on it); it is logged instead of run.
	Skip string
}

// MatchPeer runs every situation under Debian's program prog (see Peer)
// and under ours (see Path), each in a fresh working directory made by
// its Setup, and reports each one where the exit codes, the standard
// outputs or the standard errors differ. A program's own path, where it
// prints it, is replaced by its name first.
func MatchPeer(t *testing.T, prog string, cases []Situation) {
	t.Helper()
	theirs, ours := Peer(t, prog), Path(t, prog)
	for _, c := range cases {
		if c.Skip != "" {
			t.Logf("%s %q (%s): not compared: %s", prog, c.Args, c.Why, c.Skip)
			continue
		}
		want := runSituation(t, theirs, c)
		got := runSituation(t, ours, c)
		if got != want {
			t.Errorf("%s %q (%s):\n ours:     exit %d, stdout %q, stderr %q\n Debian's: exit %d, stdout %q, stderr %q",
				prog, c.Args, c.Why, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
		}
	}
}

type outcome struct {
	code           int
	stdout, stderr string
}

func runSituation(t *testing.T, bin string, c Situation) outcome {
	t.Helper()
	dir := t.TempDir()
	if c.Setup != nil {
		c.Setup(t, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, c.Args...)
	cmd.Dir = dir
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
	}
	cmd.Stdin = strings.NewReader(c.Stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q (%s) did not finish", bin, c.Args, c.Why)
	}
	name := filepath.Base(bin)
	return outcome{
		code:   ExitCode(t, err),
		stdout: strings.ReplaceAll(out.String(), bin, name),
		stderr: strings.ReplaceAll(errb.String(), bin, name),
	}
}

// Fixtures makes, in a situation's directory, one of each thing that
// makes a path fail: d (a directory), f (an empty file, not executable),
// loop (a symbolic link to itself), dangling (a symbolic link to nothing),
// and env/ (an envdir directory with one good file).
func Fixtures(t testing.TB, dir string) {
	t.Helper()
	WriteFiles(t, dir, map[string]string{"f": "", "env/A": "a\n"})
	Must(t, os.Mkdir(dir+"/d", 0o755))
	Must(t, os.Symlink("loop", dir+"/loop"))
	Must(t, os.Symlink("nowhere", dir+"/dangling"))
}

// WithFixtures is Fixtures and then more.
func WithFixtures(more func(t testing.TB, dir string)) func(t testing.TB, dir string) {
	return func(t testing.TB, dir string) {
		Fixtures(t, dir)
		more(t, dir)
	}
}

// Must fails the test on an error of its set-up.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ChildSituations are the ways the program to run can fail to start, for every
// program that ends in pathexec, after the arguments before the child.
func ChildSituations(before ...string) []Situation {
	args := func(child ...string) []string { return append(append([]string{}, before...), child...) }
	return []Situation{
		{Why: "a child found through PATH", Args: args("true"), Setup: Fixtures},
		{Why: "a child found nowhere", Args: args("no-such-program"), Setup: Fixtures},
		{Why: "a child that is not executable", Args: args("./f"), Setup: Fixtures},
		{Why: "a child that is a directory", Args: args("./d"), Setup: Fixtures},
		{Why: "a child through a symbolic link loop", Args: args("./loop"), Setup: Fixtures},
		{Why: "a child through a file", Args: args("./f/x"), Setup: Fixtures},
		{Why: "a PATH entry that is a file ends the search", Args: args("true"), Env: []string{"PATH=./f:/usr/bin:/bin"}, Setup: Fixtures},
		{Why: "a PATH entry that may not be run is passed over", Args: args("f"), Env: []string{"PATH=.:/nonexistent"}, Setup: Fixtures},
		{Why: "passed over, then found", Args: args("true"), Env: []string{"PATH=.:/usr/bin:/bin"}, Setup: WithFixtures(func(t testing.TB, dir string) {
			WriteFiles(t, dir, map[string]string{"true": "not a program"})
		})},
		{Why: "an empty PATH is the current directory", Args: args("f"), Env: []string{"PATH="}, Setup: Fixtures},
		{Why: "no PATH at all", Args: args("true"), Env: []string{}, Setup: Fixtures},
		{Why: "a script without #! is an exec format error", Args: args("./script"), Setup: WithFixtures(func(t testing.TB, dir string) {
			Must(t, os.WriteFile(dir+"/script", []byte("\x7fELF garbage"), 0o755))
		})},
	}
}
