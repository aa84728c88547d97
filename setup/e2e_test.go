package setup

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// mailPrograms are what qmail-send and qmail-smtpd need, and no more, so
// that only these two services are installed.
var mailPrograms = []string{"envdir", "softlimit", "multilog", "setuidgid", "svscan", "supervise",
	"qmail-start", "qmail-send", "qmail-lspawn", "qmail-rspawn", "qmail-clean", "qmail-local",
	"qmail-queue", "qmail-remote", "tcpserver", "rblsmtpd", "qmail-smtpd"}

// svscan runs svscan on dir with bin first on PATH until the test ends;
// stopping it with SIGTERM takes the services down.
func svscan(t *testing.T, dir, bin string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "svscan"), dir)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Errorf("svscan did not stop on SIGTERM; output:\n%s", out.String())
		}
	})
	return cmd
}

// sendSMTP sends one message with Python's smtplib, the client the issue
// names, or with swaks when Python is missing.
func sendSMTP(t *testing.T, port int, to, subject string) {
	t.Helper()
	if py, err := exec.LookPath("python3"); err == nil {
		script := `import smtplib,sys
s=smtplib.SMTP("127.0.0.1",int(sys.argv[1]),timeout=30)
s.sendmail("sender@example.org",[sys.argv[2]],"From: sender@example.org\r\nTo: "+sys.argv[2]+"\r\nSubject: "+sys.argv[3]+"\r\n\r\nhello\r\n")
s.quit()`
		out, err := exec.Command(py, "-c", script, strconv.Itoa(port), to, subject).CombinedOutput()
		if err != nil {
			t.Fatalf("smtplib: %v\n%s", err, out)
		}
		return
	}
	swaks := testbin.Peer(t, "swaks")
	out, err := exec.Command(swaks, "--server", "127.0.0.1:"+strconv.Itoa(port), "--to", to,
		"--from", "sender@example.org", "--h-Subject", subject).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
}

// TestSingleUserInstanceDelivers is make run in small: quail-setup -u
// into a temporary directory, svscan on its services, a message by SMTP
// to demo@localhost and to plain demo, each found in the demo Maildir.
func TestSingleUserInstanceDelivers(t *testing.T) {
	dir := t.TempDir()
	bin := realBin(t, append(mailPrograms, "quail-setup")...)
	port := freePort(t)
	setup := exec.Command(filepath.Join(bin, "quail-setup"), "-u", "-h", "localhost",
		"-d", filepath.Join(dir, "qmail"), "-s", filepath.Join(dir, "service"), "-l", filepath.Join(dir, "log"),
		"-D", filepath.Join(dir, "home", "demo"), "-b", bin, "-p", "qmail-smtpd="+strconv.Itoa(port))
	setup.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := setup.CombinedOutput()
	if err != nil {
		t.Fatalf("quail-setup: %v\n%s", err, out)
	}
	if !contains(out, "services: qmail-send qmail-smtpd\n") {
		t.Fatalf("want exactly qmail-send and qmail-smtpd installed:\n%s", out)
	}
	svscan(t, filepath.Join(dir, "service"), bin)
	t.Cleanup(func() { dumpLogs(t, filepath.Join(dir, "log")) })
	waitFor(t, "qmail-smtpd to listen", 20*time.Second, func() bool { return listening(port) })
	sendSMTP(t, port, "demo@localhost", "to demo@localhost")
	sendSMTP(t, port, "demo", "to plain demo")
	newDir := filepath.Join(dir, "home", "demo", "Maildir", "new")
	waitFor(t, "two messages in the demo Maildir", 30*time.Second, func() bool { return len(files(newDir)) == 2 })
	for _, f := range files(newDir) {
		b, _ := os.ReadFile(filepath.Join(newDir, f))
		if !contains(b, "Delivered-To: ") || !contains(b, "\nhello\n") {
			t.Errorf("message %s lacks the Delivered-To line or the body:\n%s", f, b)
		}
	}
	// The logs went through multilog into the log directories.
	waitFor(t, "qmail-send's log", 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "log", "qmail-send", "current"))
		return contains(b, "delivery ") && contains(b, ": success")
	})
}

// dumpLogs shows the services' logs when a test failed.
func dumpLogs(t *testing.T, dir string) {
	if !t.Failed() {
		return
	}
	for _, s := range files(dir) {
		b, _ := os.ReadFile(filepath.Join(dir, s, "current"))
		t.Logf("log of %s:\n%s", s, b)
	}
}
