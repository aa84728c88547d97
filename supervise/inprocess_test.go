package supervise_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/supervise"
	"github.com/quail-mta/quail/supervise/status"
)

// TestSuperviseInProcess runs supervise's loop inside the test process, so
// that `go test -race` sees its goroutines (control FIFO reader, readiness
// reader, signal delivery), and checks that none is left once it returns.
// It starts no other child process while supervise runs: supervise reaps
// every child of its process, as 0.76 does.
func TestSuperviseInProcess(t *testing.T) {
	base := t.TempDir()
	dir := service(t, base, "svc", "echo >&4\nexec sleep 1000")
	os.WriteFile(filepath.Join(dir, status.NotificationFile), []byte("4\n"), 0644)
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var errs bytes.Buffer
	inv := &cli.Invocation{
		Name:   "supervise",
		Args:   []string{"supervise", dir},
		Env:    append(os.Environ(), fastRestart),
		Stdin:  null,
		Stdout: null,
		Stderr: &lockedWriter{b: &errs},
	}
	baseline := runtime.NumGoroutine()
	done := make(chan int, 1)
	go func() { done <- supervise.Supervise(inv) }()

	waitFor(t, "supervise to listen", 5*time.Second, func() bool { return supervising(dir) })
	for round := 0; round < 5; round++ {
		pid := waitUp(t, dir)
		waitFor(t, "readiness", 5*time.Second, func() bool {
			l, ok, _ := status.ReadReady(dir)
			return ok && !l.Time().Before(readStatus(t, dir).Stamp.Time())
		})
		sendControl(dir, "p")
		waitFor(t, "paused", 5*time.Second, func() bool { return readStatus(t, dir).Paused })
		sendControl(dir, "ck")
		waitFor(t, "restart", 5*time.Second, func() bool {
			st := readStatus(t, dir)
			return st.PID != 0 && st.PID != pid
		})
	}
	sendControl(dir, "dx")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("supervise returned %d; stderr %q", code, stderrText(&errs))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("supervise did not return after dx")
	}
	if st := readStatus(t, dir); st.PID != 0 || st.Want != 'd' {
		t.Fatalf("final status %+v", st)
	}
	if supervising(dir) {
		t.Fatal("supervise/ok still open after return")
	}
	// os/signal starts one watcher goroutine for the life of the process
	// on the first Notify; everything else supervise started must be gone.
	if !testbin.Eventually(5*time.Second, func() bool { return runtime.NumGoroutine() <= baseline+1 }) {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines left: %d, was %d\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
	}
	// The lock is free again.
	f, err := os.OpenFile(filepath.Join(dir, "supervise/lock"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("lock still held: %v", err)
	}
}
