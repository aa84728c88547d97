package chain_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestFghackDescriptorsMatchDebian(t *testing.T) {
	ours := testbin.Path(t, "fghack")
	theirs := testbin.Peer(t, "fghack")
	list := []string{"sh", "-c", "cd /proc/$$/fd && echo *"}
	got := run(t, []string{basePath}, "", append([]string{ours}, list...)...)
	want := run(t, []string{basePath}, "", append([]string{theirs}, list...)...)
	if got.code != 0 || got.stdout != want.stdout {
		t.Errorf("child's descriptors: %q (exit %d, %q); Debian's %q", got.stdout, got.code, got.stderr, want.stdout)
	}
}

func TestFghackExitCodesMatchDebian(t *testing.T) {
	ours := testbin.Path(t, "fghack")
	theirs := testbin.Peer(t, "fghack")
	for _, tc := range []struct {
		why  string
		args []string
	}{
		{"the child's exit code", []string{"sh", "-c", "exit 7"}},
		{"a child killed by a signal", []string{"sh", "-c", "kill -9 $$"}},
		{"a missing child", []string{"/nonexistent/prog"}},
		{"no child", nil},
		{"stdout passes through", []string{"echo", "hi"}},
	} {
		got := run(t, []string{basePath}, "", append([]string{ours}, tc.args...)...)
		want := run(t, []string{basePath}, "", append([]string{theirs}, tc.args...)...)
		if got.code != want.code || got.stdout != want.stdout {
			t.Errorf("%s: exit %d %q (%q); Debian's %d %q (%q)", tc.why, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
		}
	}
}

// fghack's point: a child that exits at once, leaving a daemon in the
// background, does not end fghack; the daemon's exit does.
func TestFghackWaitsForBackground(t *testing.T) {
	for _, prog := range []string{testbin.Path(t, "fghack"), testbin.Peer(t, "fghack")} {
		fifo := filepath.Join(t.TempDir(), "release")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(prog, "sh", "-c", `(read x < "$0"; exit 0) & exit 7`, fifo)
		cmd.Env = []string{basePath}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()

		// fghack does not reap its child before the pipe closes, so the
		// child shows as a zombie while the background process lives.
		waitFor(t, "the child to exit", func() bool { return hasZombieChild(cmd.Process.Pid) })
		select {
		case err := <-done:
			t.Fatalf("%s ended (%v) while the background process still holds the pipe", prog, err)
		default:
		}
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString("go\n")
		w.Close()
		err = <-done
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 7 {
			t.Errorf("%s: %v, want exit 7", prog, err)
		}
	}
}

// hasZombieChild looks through every thread's children (the child of a Go
// program may have been forked by any of its threads).
func hasZombieChild(pid int) bool {
	lists, _ := filepath.Glob("/proc/" + itoa(pid) + "/task/*/children")
	for _, l := range lists {
		b, _ := os.ReadFile(l)
		for _, c := range strings.Fields(string(b)) {
			stat, err := os.ReadFile("/proc/" + c + "/stat")
			if err != nil {
				continue
			}
			s := string(stat)
			if i := strings.LastIndexByte(s, ')'); i >= 0 && strings.HasPrefix(s[i+1:], " Z") {
				return true
			}
		}
	}
	return false
}
