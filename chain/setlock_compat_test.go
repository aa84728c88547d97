package chain_test

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// holder is a setlock whose child holds the lock until released.
type holder struct {
	cmd   *exec.Cmd
	stdin *os.File
	done  chan error
}

// holdLock runs `setlock file sh` with a child that says "locked" and
// keeps the lock until its standard input closes.
func holdLock(t *testing.T, setlock, file string, opts ...string) *holder {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := append(append(opts, file), "sh", "-c", "echo locked; read x; exit 0")
	cmd := exec.Command(setlock, args...)
	cmd.Env = []string{basePath}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	h := &holder{cmd: cmd, stdin: inW, done: make(chan error, 1)}
	go func() { h.done <- cmd.Wait() }()
	t.Cleanup(func() { h.release(t) })
	if line := readLine(t, outR); line != "locked\n" {
		t.Fatalf("holder said %q", line)
	}
	outR.Close()
	return h
}

func (h *holder) release(t *testing.T) {
	if h.stdin != nil {
		h.stdin.Close()
		h.stdin = nil
		if err := <-h.done; err != nil {
			t.Errorf("lock holder: %v", err)
		}
	}
}

func TestSetlockMatchesDebian(t *testing.T) {
	ours := testbin.Path(t, "setlock")
	theirs := testbin.Peer(t, "setlock")
	impls := map[string]string{"ours": ours, "Debian's": theirs}
	for holderName, holderProg := range impls {
		file := t.TempDir() + "/lock"
		h := holdLock(t, holderProg, file)
		for _, tc := range []struct {
			why  string
			opts []string
			code int
		}{
			{"-n on a held lock fails", []string{"-n"}, 111},
			{"-nx on a held lock exits 0 quietly", []string{"-nx"}, 0},
			{"-x then -X: the last wins", []string{"-n", "-x", "-X"}, 111},
			{"-N then -n: the last wins", []string{"-N", "-n"}, 111},
		} {
			for name, prog := range impls {
				args := append(append(append([]string{}, tc.opts...), file), "echo", "ran")
				got := run(t, []string{basePath}, "", append([]string{prog}, args...)...)
				if got.code != tc.code || got.stdout != "" || (tc.code == 0) != (got.stderr == "") {
					t.Errorf("lock held by %s setlock: %s: %s setlock %q: exit %d, stdout %q, stderr %q; want exit %d",
						holderName, tc.why, name, args, got.code, got.stdout, got.stderr, tc.code)
				}
			}
		}
		h.release(t)
		for name, prog := range impls {
			got := run(t, []string{basePath}, "", prog, "-n", file, "echo", "ran")
			if got.code != 0 || got.stdout != "ran\n" {
				t.Errorf("after release: %s setlock -n: exit %d, %q %q", name, got.code, got.stdout, got.stderr)
			}
		}
	}
}

// Without -n, setlock waits for the lock. The waiter is seen blocked in
// /proc/locks (a "->" entry with its pid) before the holder lets go.
func TestSetlockWaits(t *testing.T) {
	ours := testbin.Path(t, "setlock")
	theirs := testbin.Peer(t, "setlock")
	file := t.TempDir() + "/lock"
	h := holdLock(t, theirs, file)
	cmd := exec.Command(ours, file, "echo", "got it")
	cmd.Env = []string{basePath}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	waitFor(t, "setlock to wait on the lock", func() bool { return blockedOnLock(pid) })
	h.release(t)
	if err := cmd.Wait(); err != nil || out.String() != "got it\n" {
		t.Errorf("waiting setlock: %v, output %q", err, out.String())
	}
}

func blockedOnLock(pid string) bool {
	f, err := os.Open("/proc/locks")
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 5 && fields[1] == "->" && fields[2] == "FLOCK" && fields[5] == pid {
			return true
		}
	}
	return false
}

func TestSetlockErrorsMatchDebian(t *testing.T) {
	ours := testbin.Path(t, "setlock")
	theirs := testbin.Peer(t, "setlock")
	dir := t.TempDir()
	for _, tc := range []struct {
		why  string
		args []string
	}{
		{"an unopenable file", []string{dir + "/missing/lock", "true"}},
		{"an unopenable file with -x", []string{"-x", dir + "/missing/lock", "true"}},
		{"no program", []string{dir + "/lock"}},
		{"no arguments", nil},
		{"an unknown option", []string{"-q", dir + "/lock", "true"}},
		{"a missing program", []string{dir + "/lock", "/nonexistent/prog"}},
		{"the child's exit code passes through", []string{dir + "/lock", "sh", "-c", "exit 7"}},
		{"the child inherits the locked descriptor", []string{"-n", dir + "/lock2", "sh", "-c", "ls -l /proc/$$/fd | grep -c lock2"}},
	} {
		got := run(t, []string{basePath}, "", append([]string{ours}, tc.args...)...)
		want := run(t, []string{basePath}, "", append([]string{theirs}, tc.args...)...)
		if got.code != want.code || got.stdout != want.stdout || (got.stderr == "") != (want.stderr == "") {
			t.Errorf("%s: exit %d %q %q; Debian's %d %q %q", tc.why, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
		}
	}
	if fi, err := os.Stat(dir + "/lock"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, mode %v; want it created 0600", err, fi.Mode())
	}
}
