package stats

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// runLogged starts cmd with its stderr, and its stdout unless the caller
// took it, going into multilog t logDir, as a service with a log service
// runs. stop sends cmd SIGTERM and waits for both to end; it runs when
// the test ends if the test did not call it.
func runLogged(t *testing.T, cmd *exec.Cmd, logDir string) (stop func()) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	logger := exec.Command(testbin.Path(t, "multilog"), "t", logDir)
	logger.Stdin = pr
	if cmd.Stdout == nil {
		cmd.Stdout = pw
	}
	cmd.Stderr = pw
	if err := logger.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		logger.Process.Kill()
		t.Fatal(err)
	}
	pr.Close()
	pw.Close()
	cmdDone, loggerDone := make(chan error, 1), make(chan error, 1)
	go func() { cmdDone <- cmd.Wait() }()
	go func() { loggerDone <- logger.Wait() }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		for name, done := range map[string]chan error{filepath.Base(cmd.Path): cmdDone, "multilog": loggerDone} {
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("%s did not end", name)
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

// checkFigures runs the built qmail-stats -p on logDir and checks that it
// succeeds, that its output is a valid exposition, and that it holds each
// line of wants.
func checkFigures(t *testing.T, logDir string, wants []string) {
	t.Helper()
	code, out, diag := runBuilt(t, "", "-p", logDir)
	if code != 0 || diag != "" {
		t.Fatalf("qmail-stats: exit %d, %q", code, diag)
	}
	if err := checkExposition(out); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(filepath.Join(logDir, "current"))
	for _, want := range wants {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("figures lack %s\nfigures:\n%s\nlog:\n%s", want, out, log)
		}
	}
}
