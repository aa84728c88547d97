package quail

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// The extra control files are in place for qmail-send's start, and
// Start's own files win over a name given twice.
func TestStartWithControl(t *testing.T) {
	bin := testbin.Dir(t, programs...)
	in, err := StartWithControl(t.TempDir(), bin, map[string]string{
		"concurrencyremote": "7",
		"smtproutes":        ":127.0.0.1:2525",
		"me":                "elsewhere.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	for name, want := range map[string]string{
		"concurrencyremote": "7\n",
		"smtproutes":        ":127.0.0.1:2525\n",
		"me":                "localhost\n",
	} {
		b, err := os.ReadFile(filepath.Join(in.Home, "control", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("control/%s = %q, want %q", name, b, want)
		}
	}
}

// A message queued while qmail-send is stopped is delivered once it is
// restarted, and Stop ends the restarted qmail-send.
func TestRestartDeliversQueued(t *testing.T) {
	bin := testbin.Dir(t, programs...)
	in, err := Start(t.TempDir(), bin)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	if err := in.Restart(); err == nil {
		t.Fatal("Restart of a running instance succeeded")
	}
	in.Stop()
	cmd := exec.Command(filepath.Join(in.Bin, "qmail-queue"))
	cmd.Env = in.Env
	cmd.Stdin = strings.NewReader("Subject: queued\n\nwhile qmail-send was down\n")
	env, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Fa@localhost\x00T" + in.Recipient + "\x00\x00"))
	w.Close()
	cmd.Stdout = env
	var errs strings.Builder
	cmd.Stderr = &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("qmail-queue: %v %s", err, errs.String())
	}
	env.Close()
	if in.QueueEmpty() {
		t.Fatal("the queue is empty after qmail-queue")
	}
	if err := in.Restart(); err != nil {
		t.Fatal(err)
	}
	pid := in.SendPID()
	waitDelivered(t, in, 1)
	in.Stop()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("qmail-send %d still exists after Stop", pid)
	}
}
