package setup

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMakeRunUnprivileged runs scripts/run.sh (what make run runs after
// the build) from a copy of the tree as an unprivileged user: as nobody
// through setpriv when the test runs as root, else as the test's user. It
// checks that mail to demo@localhost lands in run/home/demo/Maildir, owned
// by that user, and that SIGTERM (what Ctrl-C turns into) stops it all.
func TestMakeRunUnprivileged(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	top, err := os.MkdirTemp("", "quail-makerun-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	for _, d := range []string{"", "bin", "scripts"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(top, d), 0o777)
	}
	copyFile(t, filepath.Join(root, "scripts", "run.sh"), filepath.Join(top, "scripts", "run.sh"), 0o755)
	for _, p := range append(mailPrograms, "quail-setup") {
		copyFile(t, testbin.Path(t, p), filepath.Join(top, "bin", p), 0o755)
	}
	port := freePort(t)
	argv := []string{"/bin/sh", filepath.Join(top, "scripts", "run.sh")}
	uid := os.Getuid()
	if uid == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("setpriv (util-linux) is needed to become nobody")
		}
		uid = 65534
		argv = append([]string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = top
	cmd.Env = []string{"PATH=/usr/bin:/bin", "QUAIL_RUN_OPTS=-p qmail-smtpd=" + strconv.Itoa(port)}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("run.sh output:\n%s", out.String())
			dumpLogs(t, filepath.Join(top, "run", "log"))
		}
	})
	waitFor(t, "qmail-smtpd of make run to listen", 30*time.Second, func() bool { return listening(port) })
	for _, want := range []string{"qmail-smtpd on 127.0.0.1:" + strconv.Itoa(port), "qmail-send, log in run/log/qmail-send/current",
		"run/home/demo/Maildir/", "starting svscan"} {
		if !bytes.Contains([]byte(out.String()), []byte(want)) {
			t.Errorf("make run does not say %q:\n%s", want, out.String())
		}
	}
	sendSMTP(t, port, "demo@localhost", "make run")
	newDir := filepath.Join(top, "run", "home", "demo", "Maildir", "new")
	waitFor(t, "the message in run/home/demo/Maildir/new", 30*time.Second, func() bool { return len(files(newDir)) == 1 })
	fi, err := os.Stat(filepath.Join(newDir, files(newDir)[0]))
	if err != nil || int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
		t.Errorf("the message is not owned by uid %d: %v", uid, err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("run.sh exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run.sh did not stop on SIGTERM")
	}
	if !bytes.Contains([]byte(out.String()), []byte("quail: stopped")) {
		t.Errorf("run.sh did not report stopping:\n%s", out.String())
	}
	waitFor(t, "the SMTP port to close", 10*time.Second, func() bool { return !listening(port) })
}
