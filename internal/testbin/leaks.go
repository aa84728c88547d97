package testbin

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// NoLeaks counts the process's open descriptors and goroutines now; the
// function it returns fails t if, when called, more of either remain. A
// long-running program (qmail-lspawn) or one that queues message after
// message (qmail-smtpd) must leave nothing behind per piece of work.
func NoLeaks(t testing.TB) func() {
	t.Helper()
	fds, goroutines := openFiles(t), runtime.NumGoroutine()
	return func() {
		t.Helper()
		if now := openFiles(t); now != fds {
			t.Errorf("%d descriptors open afterwards, %d before", now, fds)
		}
		// A goroutine that has finished its work may still be on its way
		// out: allow it a moment.
		Eventually(time.Second, func() bool { return runtime.NumGoroutine() <= goroutines })
		if now := runtime.NumGoroutine(); now > goroutines {
			t.Errorf("%d goroutines afterwards, %d before", now, goroutines)
		}
	}
}

func openFiles(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}
