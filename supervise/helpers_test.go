package supervise_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/supervise/status"
)

// tools names one implementation of the supervise family: ours or
// Debian's.
type tools struct {
	name                                 string
	supervise, svc, svstat, svok, svscan string
}

func ours(t *testing.T) tools {
	return tools{
		name:      "quail",
		supervise: testbin.Path(t, "supervise"),
		svc:       testbin.Path(t, "svc"),
		svstat:    testbin.Path(t, "svstat"),
		svok:      testbin.Path(t, "svok"),
		svscan:    testbin.Path(t, "svscan"),
	}
}

func debian(t *testing.T) tools {
	return tools{
		name:      "daemontools",
		supervise: testbin.Peer(t, "supervise"),
		svc:       testbin.Peer(t, "svc"),
		svstat:    testbin.Peer(t, "svstat"),
		svok:      testbin.Peer(t, "svok"),
		svscan:    testbin.Peer(t, "svscan"),
	}
}

// service makes a service directory whose run script is body (a /bin/sh
// script).
func service(t *testing.T, parent, name, body string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0755); err != nil {
		t.Fatal(err)
	}
	writeScript(t, filepath.Join(dir, "run"), body)
	return dir
}

func writeScript(t *testing.T, name, body string) {
	t.Helper()
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\n"+body+"\n"), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

// startSupervise runs a supervise on dir and makes sure it is gone when the
// test ends (svc -dx, then KILL as a last resort). Its stderr is collected.
func startSupervise(t *testing.T, prog, dir string, env ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(prog, dir)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &lockedWriter{b: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// A service that ignores TERM would keep supervise (and the
		// stderr pipe it inherited) alive: escalate to KILL.
		for _, cmds := range []string{"dx", "k"} {
			sendControl(dir, cmds)
			select {
			case <-done:
				return
			case <-time.After(3 * time.Second):
			}
		}
		if st, ok := statusOK(dir); ok && st.PID != 0 {
			syscall.Kill(st.PID, syscall.SIGKILL)
		}
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Errorf("supervise of %s did not go away", dir)
		}
	})
	waitFor(t, "supervise of "+dir+" to listen", 5*time.Second, func() bool { return supervising(dir) })
	return cmd, &stderr
}

type lockedWriter struct{ b *bytes.Buffer }

func (w *lockedWriter) Write(p []byte) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	return w.b.Write(p)
}

func stderrText(b *bytes.Buffer) string {
	mu.Lock()
	defer mu.Unlock()
	return b.String()
}

// supervising reports whether some supervise reads dir/supervise/ok.
func supervising(dir string) bool {
	fd, err := syscall.Open(filepath.Join(dir, "supervise/ok"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
}

// sendControl writes command bytes straight to the control FIFO.
func sendControl(dir, cmds string) error {
	fd, err := syscall.Open(filepath.Join(dir, "supervise/control"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	_, err = syscall.Write(fd, []byte(cmds))
	return err
}

// waitFor polls cond every few milliseconds until it holds or the deadline
// passes.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	if !testbin.Eventually(limit, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func readStatus(t *testing.T, dir string) status.Status {
	t.Helper()
	st, err := status.Read(dir)
	if err != nil {
		t.Fatalf("reading status of %s: %v", dir, err)
	}
	return st
}

// statusOK is readStatus for use inside wait conditions.
func statusOK(dir string) (status.Status, bool) {
	st, err := status.Read(dir)
	return st, err == nil
}

func waitUp(t *testing.T, dir string) int {
	t.Helper()
	var pid int
	waitFor(t, dir+" up", 10*time.Second, func() bool {
		st, ok := statusOK(dir)
		pid = st.PID
		return ok && st.PID != 0
	})
	return pid
}

func waitDown(t *testing.T, dir string) {
	t.Helper()
	waitFor(t, dir+" down", 10*time.Second, func() bool {
		st, ok := statusOK(dir)
		return ok && st.PID == 0
	})
}

// run runs a program and returns its stdout, stderr and exit code.
func run(t *testing.T, prog string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	return testbin.Run(t, cmd)
}

var secondsRE = regexp.MustCompile(`\b\d+ seconds`)

// filterSeconds hides the elapsed times, which differ between two runs of
// svstat a moment apart.
func filterSeconds(s string) string { return secondsRE.ReplaceAllString(s, "S seconds") }

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func pidAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func itoa(n int) string { return strconv.Itoa(n) }

var mu sync.Mutex

func testbinPath(t *testing.T, prog string) string { return testbin.Path(t, prog) }
