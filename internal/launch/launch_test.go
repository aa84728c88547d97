package launch

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// copyProgram puts a copy of quail's program name in a directory of the
// test, with mode.
func copyProgram(t *testing.T, name string, mode os.FileMode) string {
	t.Helper()
	b, err := os.ReadFile(testbin.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
	return path
}

// Inside decides once, for every caller: quail's program of that name,
// neither set-uid nor set-gid, and in-process running on.
func TestInside(t *testing.T) {
	script := filepath.Join(t.TempDir(), "qmail-remote")
	os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	own := copyProgram(t, "qmail-remote", 0o755)
	cases := []struct {
		why  string
		path string
		mode string
		want bool
	}{
		{"quail's program", own, "yes", true},
		{"in-process running turned off", own, "no", false},
		{"a wrapper in its place", script, "yes", false},
		{"another of quail's programs", testbin.Path(t, "qmail-local"), "yes", false},
		{"set-uid: starting it changes the uid", copyProgram(t, "qmail-remote", 0o755|os.ModeSetuid), "yes", false},
		{"set-gid", copyProgram(t, "qmail-remote", 0o755|os.ModeSetgid), "yes", false},
		{"missing: the exec reports why", filepath.Join(t.TempDir(), "none"), "yes", false},
	}
	defer func(v string) { InProcess = v }(InProcess)
	for _, c := range cases {
		InProcess = c.mode
		if got := For("qmail-remote").Inside(c.path); got != c.want {
			t.Errorf("%s: Inside %v, want %v", c.why, got, c.want)
		}
	}
}

// Start runs the code inside or the file as a process, and both end in
// the same Exit.
func TestStart(t *testing.T) {
	own := copyProgram(t, "qmail-remote", 0o755)
	script := filepath.Join(t.TempDir(), "qmail-remote")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\"; exit 7\n"), 0o755)
	p := For("qmail-remote")
	ran := 0
	main := func(cmd *exec.Cmd) int {
		ran++
		cmd.Stdout.Write([]byte(strings.Join(cmd.Args[1:], " ") + "\n"))
		return 7
	}
	for _, path := range []string{own, script} {
		var out bytes.Buffer
		cmd := exec.Command(path, "a", "b")
		cmd.Stdout = &out
		run, err := p.Start(cmd, main)
		if err != nil {
			t.Fatal(err)
		}
		e := run.Wait()
		if e.Code != 7 || e.Crashed || e.Err != nil || out.String() != "a b\n" {
			t.Errorf("%s: %+v, output %q", path, e, out.String())
		}
		if run.Inside() != (path == own) {
			t.Errorf("%s: ran inside %v", path, run.Inside())
		}
		if again := run.Wait(); again != e {
			t.Errorf("%s: a second Wait says %+v", path, again)
		}
	}
	if ran != 1 {
		t.Errorf("the code ran %d times, want once", ran)
	}
}

// ExitOf: an exit code is an answer, whatever it is; a signal is a
// crash; a program that cannot run is an error.
func TestExitOf(t *testing.T) {
	cases := []struct {
		script string
		want   Exit
	}{
		{"exit 0", Exit{Code: 0}},
		{"exit 100", Exit{Code: 100}},
		{"exit 111", Exit{Code: 111}},
		{"kill -9 $$", Exit{Code: -1, Signal: 9, Crashed: true}},
	}
	for _, c := range cases {
		if got := ExitOf(exec.Command("/bin/sh", "-c", c.script).Run()); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.script, got, c.want)
		}
	}
	err := exec.Command(filepath.Join(t.TempDir(), "none")).Run()
	if got := ExitOf(err); got.Err == nil || got.Code != -1 || got.OK() {
		t.Errorf("a program that cannot run: %+v", got)
	}
}

// A panic in code run inside ends that run only, as a crash, logged in
// the program's name.
func TestContain(t *testing.T) {
	var log bytes.Buffer
	stderr = &log
	defer func() { stderr = os.Stderr }()
	ran := false
	if !Contain("qmail-local", func() { ran = true }) || !ran {
		t.Fatal("a call that returned was not reported as such")
	}
	if log.Len() != 0 {
		t.Errorf("logged %q for a call that returned", log.String())
	}
	if Contain("qmail-local", func() { panic("index out of range") }) {
		t.Fatal("a panic was reported as a return")
	}
	want := ": warning: qmail-local crashed: index out of range\n"
	if !strings.HasSuffix(log.String(), want) || strings.Count(log.String(), "\n") != 1 {
		t.Errorf("logged %q, want one line ending %q", log.String(), want)
	}
	log.Reset()
	e := For("qmail-local").Go(func() int { panic(errors.New("boom")) }).Wait()
	if !e.Crashed || e.Code != -1 || !strings.HasSuffix(log.String(), "qmail-local crashed: boom\n") {
		t.Errorf("Go after a panic: %+v, logged %q", e, log.String())
	}
}
