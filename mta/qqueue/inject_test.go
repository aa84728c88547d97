package qqueue

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
)

// exitingQueue writes a qmail-queue stand-in that saves its fd 0 and fd 1 in
// dir and exits with code.
func exitingQueue(t *testing.T, dir string, code int) string {
	t.Helper()
	p := filepath.Join(dir, "qq")
	script := "#!/bin/sh\ncat > " + filepath.Join(dir, "msg") + "\ncat <&1 > " + filepath.Join(dir, "env") +
		"\nexit " + strconv.Itoa(code) + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	prog := exitingQueue(t, dir, 0)
	in := Injection{Home: dir, Program: prog}
	r := in.Run([]byte("Delivered-To: x@y\n"), strings.NewReader("body\n"), "s@x", []string{"a@b", "c@d"})
	if !r.OK() || r.Pid == 0 {
		t.Fatalf("Run = %+v", r)
	}
	msg, _ := os.ReadFile(filepath.Join(dir, "msg"))
	env, _ := os.ReadFile(filepath.Join(dir, "env"))
	if string(msg) != "Delivered-To: x@y\nbody\n" {
		t.Errorf("message %q", msg)
	}
	if string(env) != "Fs@x\x00Ta@b\x00Tc@d\x00\x00" {
		t.Errorf("envelope %q", env)
	}
}

// qmail_close's answer for each exit code: its letter says whether the
// failure is permanent (D) or temporary (Z), the rest is the reason.
func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{11, "Denvelope address too long for qq (#5.1.3)"},
		{31, "Dmail server permanently rejected message (#5.3.0)"},
		{39, "Dqq permanent problem (#5.3.0)"},
		{53, "Zqq write error or disk full (#4.3.0)"},
		{64, "Zqq trouble creating files in queue (#4.3.0)"},
		{99, "Zqq temporary problem (#4.3.0)"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		r := Injection{Home: dir, Program: exitingQueue(t, dir, tt.code)}.Run(nil, strings.NewReader("x\n"), "", []string{"a@b"})
		if r.Reason() != tt.want[1:] {
			t.Errorf("exit %d: %q, want %q", tt.code, r.Reason(), tt.want[1:])
		}
		if r.Permanent() != strings.HasPrefix(tt.want, "D") {
			t.Errorf("exit %d: Permanent = %v", tt.code, r.Permanent())
		}
	}
}

func TestRunMissingProgramAndHome(t *testing.T) {
	dir := t.TempDir()
	if r := (Injection{Home: dir, Program: "bin/qmail-queue"}).Run(nil, strings.NewReader(""), "", nil); r.Permanent() || r.Reason() != "unable to exec qq (#4.3.0)" {
		t.Errorf("missing program: %+v", r)
	}
	if r := (Injection{Home: filepath.Join(dir, "no"), Program: "x"}).Run(nil, strings.NewReader(""), "", nil); r.Permanent() || r.Reason() != "qq trouble in home directory (#4.3.0)" {
		t.Errorf("missing home: %+v", r)
	}
}

func TestProgram(t *testing.T) {
	get := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if p := Program(get(nil)); p != "bin/qmail-queue" {
		t.Errorf("default %q", p)
	}
	if p := Program(get(map[string]string{"QMAILQUEUE": "/x/qq"})); p != "/x/qq" {
		t.Errorf("QMAILQUEUE %q", p)
	}
}

// A forward from a single-user instance is queued by quail's qmail-queue
// code in this process; "qp" is the one queue.InProcessQP gave it, the
// one in the message's Received line.
func TestRunOwnQueueInProcess(t *testing.T) {
	home := t.TempDir()
	q, err := queue.Create(home, queue.DefaultSplit, queue.Self)
	if err != nil {
		t.Fatal(err)
	}
	testbin.CopyProgram(t, "qmail-queue", filepath.Join(home, "bin", "qmail-queue"), 0o755)
	in := Injection{Home: home, Program: Program(func(string) (string, bool) { return "", false }), Env: []string{"QMAILHOME=" + home}}
	r := in.Run([]byte("Delivered-To: a@example\n"), strings.NewReader("Subject: fwd\n\nbody\n"), "a@example", []string{"b@example"})
	if !r.OK() || r.Pid < queue.PIDLimit {
		t.Fatalf("result %+v, want queued in process with a qp above every pid", r)
	}
	ids, err := q.Todos()
	if err != nil || len(ids) != 1 {
		t.Fatalf("todo/ holds %v (%v)", ids, err)
	}
	mess, _ := os.ReadFile(q.Mess(ids[0]))
	if !strings.HasPrefix(string(mess), "Received: (qmail "+strconv.Itoa(r.Pid)+" invoked ") ||
		!strings.Contains(string(mess), "\nDelivered-To: a@example\nSubject: fwd\n\nbody\n") {
		t.Errorf("message %q", mess)
	}
}
