package notice_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// qreceipt run as qmail-local runs it: the message on its standard input,
// SENDER set, QMAILQUEUE pointing at a stand-in that keeps what it gets.
func TestQreceiptProgram(t *testing.T) {
	home := t.TempDir()
	q := testbin.StandInQueue(t, filepath.Join(home, "bin"))
	prog := testbin.Path(t, "qreceipt")
	run := func(env []string, input string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(prog, args...)
		cmd.Env = append([]string{"QMAILHOME=" + home, "PATH=/bin:/usr/bin"}, env...)
		cmd.Stdin = strings.NewReader(input)
		_, errs, code := testbin.Run(t, cmd)
		return errs, code
	}
	const msg = "Return-Path: <bob@sender.example>\nDelivered-To: joe@nowhere.mil\n" +
		"Message-ID: <1.2@sender.example>\nNotice-Requested-Upon-Delivery-To: joe@nowhere.mil\n\nbody\n"
	if errs, code := run([]string{"SENDER=bob@sender.example"}, msg, "joe@nowhere.mil"); code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	want := []string{"From: DELIVERY NOTICE SYSTEM <bob@sender.example>\nTo: <bob@sender.example>\nSubject: success notice\n\n" +
		"Hi! This is the qreceipt program. Your message was delivered to the\nfollowing address: joe@nowhere.mil. Thanks for asking.\n" +
		"Your Message-ID: <1.2@sender.example>\n|F\x00Tbob@sender.example\x00\x00"}
	if got := q.Queued(t); len(got) != 1 || got[0] != want[0] {
		t.Fatalf("queued %q\nwant %q", got, want)
	}
	for _, tt := range []struct {
		why    string
		env    []string
		args   []string
		code   int
		stderr string
	}{
		{"no notice asked for this address", []string{"SENDER=bob@sender.example"}, []string{"ann@nowhere.mil"}, 0, ""},
		{"no address", []string{"SENDER=bob@sender.example"}, nil, 100, "qreceipt: usage: qreceipt deliveryaddress\n"},
		{"SENDER not set", nil, []string{"joe@nowhere.mil"}, 100, "qreceipt: usage: qreceipt deliveryaddress\n"},
		{"a bounce asks nothing", []string{"SENDER="}, []string{"joe@nowhere.mil"}, 0, ""},
	} {
		if errs, code := run(tt.env, msg, tt.args...); code != tt.code || errs != tt.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tt.why, code, errs, tt.code, tt.stderr)
		}
	}
	if got := q.Queued(t); len(got) != 1 {
		t.Errorf("%d notices queued in all, want 1", len(got))
	}
	q.SetCode(t, 31)
	if errs, code := run([]string{"SENDER=bob@sender.example"}, msg, "joe@nowhere.mil"); code != 100 || !strings.HasPrefix(errs, "qreceipt: fatal: permanent qmail-queue error: ") {
		t.Errorf("qmail-queue exits 31: exit %d, stderr %q", code, errs)
	}
	q.SetCode(t, 71)
	if errs, code := run([]string{"SENDER=bob@sender.example"}, msg, "joe@nowhere.mil"); code != 111 || !strings.HasPrefix(errs, "qreceipt: fatal: temporary qmail-queue error: ") {
		t.Errorf("qmail-queue exits 71: exit %d, stderr %q", code, errs)
	}
}

// qbiff run as a program: it never fails a delivery, whatever it lacks.
func TestQbiffProgramExitsZero(t *testing.T) {
	prog := testbin.Path(t, "qbiff")
	for _, env := range [][]string{
		nil,
		{"USER=nobody-here", "SENDER=a@b", "LOCAL=x"},
		{"USER=" + strings.Repeat("u", 33), "SENDER=a@b", "LOCAL=x"},
	} {
		cmd := exec.Command(prog)
		cmd.Env = env
		cmd.Stdin = strings.NewReader("Subject: hi\n\nbody\n")
		if out, errs, code := testbin.Run(t, cmd); code != 0 || out != "" || errs != "" {
			t.Errorf("env %q: exit %d, stdout %q, stderr %q", env, code, out, errs)
		}
	}
}
