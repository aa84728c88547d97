package usertools_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

type out struct {
	code           int
	stdout, stderr string
}

// run runs a program with env (PATH added) and stdin from a file holding
// input, so that programs that rewind it can.
func run(t *testing.T, env []string, input string, prog string, args ...string) out {
	t.Helper()
	f := filepath.Join(t.TempDir(), "stdin")
	os.WriteFile(f, []byte(input), 0o600)
	in, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(testbin.Path(t, prog), args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	cmd.Stdin = in
	o, e, code := testbin.Run(t, cmd)
	return out{code, o, e}
}

func TestExcept(t *testing.T) {
	tests := []struct {
		prog []string
		code int
		why  string
	}{
		{[]string{"true"}, 100, "success becomes a bounce"},
		{[]string{"sh", "-c", "exit 100"}, 0, "failure becomes success"},
		{[]string{"sh", "-c", "exit 1"}, 0, "any other code becomes success"},
		{[]string{"sh", "-c", "exit 111"}, 111, "temporary stays temporary"},
		{[]string{"sh", "-c", "kill -9 $$"}, 111, "a crash is temporary"},
		{[]string{"/nonexistent/prog"}, 0, "a program that cannot run exits 100 in the child, so success"},
		{nil, 100, "usage"},
	}
	for _, tt := range tests {
		if o := run(t, nil, "", "except", tt.prog...); o.code != tt.code {
			t.Errorf("%s: except %v = %d (%q), want %d", tt.why, tt.prog, o.code, o.stderr, tt.code)
		}
	}
}

func TestBounceSaying(t *testing.T) {
	o := run(t, nil, "", "bouncesaying", "This address is no longer in use.")
	if o.code != 100 || o.stderr != "This address is no longer in use.\n" {
		t.Errorf("unconditional: %+v", o)
	}
	o = run(t, nil, "", "bouncesaying", "go away", "true")
	if o.code != 100 || o.stderr != "go away\n" {
		t.Errorf("program exits 0: %+v", o)
	}
	if o := run(t, nil, "", "bouncesaying", "go away", "false"); o.code != 0 || o.stderr != "" {
		t.Errorf("program exits 1: %+v", o)
	}
	if o := run(t, nil, "", "bouncesaying", "go away", "sh", "-c", "exit 111"); o.code != 111 ||
		o.stderr != "bouncesaying: fatal: temporary child error\n" {
		t.Errorf("program exits 111: %+v", o)
	}
	if o := run(t, nil, "", "bouncesaying"); o.code != 100 || !strings.HasPrefix(o.stderr, "bouncesaying: usage: ") {
		t.Errorf("usage: %+v", o)
	}
}

// queueRig makes a qmail home whose qmail-queue records what it gets.
func queueRig(t *testing.T) (env []string, capture string) {
	t.Helper()
	home := t.TempDir()
	capture = filepath.Join(home, "cap")
	os.MkdirAll(filepath.Join(home, "bin"), 0o755)
	os.MkdirAll(capture, 0o755)
	qq := "#!/bin/sh\ncat > " + capture + "/msg\ncat <&1 > " + capture + "/env\nexit ${QQEXIT:-0}\n"
	os.WriteFile(filepath.Join(home, "bin", "qmail-queue"), []byte(qq), 0o755)
	return []string{"QMAILHOME=" + home}, capture
}

func TestForward(t *testing.T) {
	env, capture := queueRig(t)
	env = append(env, "NEWSENDER=owner@example.com", "DTLINE=Delivered-To: me@example.com\n")
	o := run(t, env, "Subject: x\n\nhi\n", "forward", "a@example.net", "b@example.net")
	if o.code != 0 || !regexp.MustCompile(`^forward: qp \d+\n$`).MatchString(o.stderr) {
		t.Fatalf("%+v", o)
	}
	msg, _ := os.ReadFile(filepath.Join(capture, "msg"))
	envl, _ := os.ReadFile(filepath.Join(capture, "env"))
	if string(msg) != "Delivered-To: me@example.com\nSubject: x\n\nhi\n" {
		t.Errorf("message %q", msg)
	}
	if string(envl) != "Fowner@example.com\x00Ta@example.net\x00Tb@example.net\x00\x00" {
		t.Errorf("envelope %q", envl)
	}
	if o := run(t, append(env, "QQEXIT=11"), "x\n", "forward", "a@b"); o.code != 100 ||
		o.stderr != "forward: fatal: envelope address too long for qq (#5.1.3)\n" {
		t.Errorf("permanent qq failure: %+v", o)
	}
	if o := run(t, env[:1], "x\n", "forward", "a@b"); o.code != 100 || o.stderr != "forward: fatal: NEWSENDER not set\n" {
		t.Errorf("no NEWSENDER: %+v", o)
	}
}

func TestCondRedirect(t *testing.T) {
	env, capture := queueRig(t)
	env = append(env, "SENDER=s@example.com", "DTLINE=Delivered-To: me@example.com\n")
	// The program reads the message first; condredirect must rewind.
	o := run(t, env, "Subject: x\n\nhi\n", "condredirect", "new@example.net", "sh", "-c", "cat >/dev/null")
	if o.code != 99 || !regexp.MustCompile(`^condredirect: qp \d+\n$`).MatchString(o.stderr) {
		t.Fatalf("%+v", o)
	}
	msg, _ := os.ReadFile(filepath.Join(capture, "msg"))
	envl, _ := os.ReadFile(filepath.Join(capture, "env"))
	if string(msg) != "Delivered-To: me@example.com\nSubject: x\n\nhi\n" || string(envl) != "Fs@example.com\x00Tnew@example.net\x00\x00" {
		t.Errorf("message %q envelope %q", msg, envl)
	}
	os.Remove(filepath.Join(capture, "msg"))
	if o := run(t, env, "x\n", "condredirect", "new@example.net", "false"); o.code != 0 {
		t.Errorf("program exits 1: %+v", o)
	}
	if _, err := os.Stat(filepath.Join(capture, "msg")); err == nil {
		t.Error("redirected although the program said no")
	}
	if o := run(t, env, "x\n", "condredirect", "new@example.net", "sh", "-c", "exit 111"); o.code != 111 {
		t.Errorf("program exits 111: %+v", o)
	}
	if o := run(t, env, "x\n", "condredirect", "a@b"); o.code != 100 {
		t.Errorf("usage: %+v", o)
	}
}

func TestPreline(t *testing.T) {
	env := []string{"UFLINE=From s@x Thu Jan 01 00:00:00 1970\n", "RPLINE=Return-Path: <s@x>\n", "DTLINE=Delivered-To: me@y\n"}
	tests := []struct {
		opts []string
		want string
	}{
		{nil, "From s@x Thu Jan 01 00:00:00 1970\nReturn-Path: <s@x>\nDelivered-To: me@y\nbody\n"},
		{[]string{"-f"}, "Return-Path: <s@x>\nDelivered-To: me@y\nbody\n"},
		{[]string{"-frd"}, "body\n"},
		{[]string{"-dD"}, "From s@x Thu Jan 01 00:00:00 1970\nReturn-Path: <s@x>\nDelivered-To: me@y\nbody\n"},
	}
	for _, tt := range tests {
		o := run(t, env, "body\n", "preline", append(tt.opts, "cat")...)
		if o.code != 0 || o.stdout != tt.want {
			t.Errorf("preline %v: %+v, want %q", tt.opts, o, tt.want)
		}
	}
	if o := run(t, env, "body\n", "preline", "sh", "-c", "cat >/dev/null; exit 77"); o.code != 77 {
		t.Errorf("exit code not passed on: %+v", o)
	}
	if o := run(t, env[:2], "x", "preline", "cat"); o.code != 100 || !strings.HasPrefix(o.stderr, "preline: usage: ") {
		t.Errorf("without DTLINE: %+v", o)
	}
	if o := run(t, env, "x", "preline", "/nonexistent/x"); o.code != 100 || !strings.HasPrefix(o.stderr, "preline: fatal: unable to run /nonexistent/x: ") {
		t.Errorf("missing program: %+v", o)
	}
}

func TestMaildirMake(t *testing.T) {
	d := filepath.Join(t.TempDir(), "Maildir")
	if o := run(t, nil, "", "maildirmake", d); o.code != 0 {
		t.Fatalf("%+v", o)
	}
	for _, s := range []string{"", "tmp", "new", "cur"} {
		st, err := os.Stat(filepath.Join(d, s))
		if err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", s, st, err)
		}
	}
	if o := run(t, nil, "", "maildirmake", d); o.code != 111 || !strings.HasPrefix(o.stderr, "maildirmake: fatal: unable to mkdir "+d+": ") {
		t.Errorf("existing: %+v", o)
	}
}

func TestMaildir2mbox(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "Maildir")
	run(t, nil, "", "maildirmake", md)
	mail := filepath.Join(dir, "mbox")
	os.WriteFile(mail, []byte("From old Thu Jan 01 00:00:00 1970\nold\n\n"), 0o600)
	at := time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)
	put := func(sub, name, content string, t0 time.Time) {
		p := filepath.Join(md, sub, name)
		os.WriteFile(p, []byte(content), 0o600)
		os.Chtimes(p, t0, t0)
	}
	put("new", "2.b", "Return-Path: <>\nSubject: bounce\n\nFrom here\n", at.Add(time.Second))
	put("cur", "1.a:2,S", "Return-Path: <a b@x>\nSubject: first\n\nbody", at)
	put("new", "3.c", "Subject: no rp\n\nx\n", at.Add(2*time.Second))
	env := []string{"MAILDIR=" + md, "MAIL=" + mail, "MAILTMP=" + filepath.Join(dir, "mbox.tmp")}
	if o := run(t, env, "", "maildir2mbox"); o.code != 0 {
		t.Fatalf("%+v", o)
	}
	got, _ := os.ReadFile(mail)
	want := "From old Thu Jan 01 00:00:00 1970\nold\n\n" +
		"From a-b@x Mon Feb 03 04:05:06 2020\nReturn-Path: <a b@x>\nSubject: first\n\nbody\n\n" +
		"From MAILER-DAEMON Mon Feb 03 04:05:07 2020\nReturn-Path: <>\nSubject: bounce\n\n>From here\n\n" +
		"From XXX Mon Feb 03 04:05:08 2020\nSubject: no rp\n\nx\n\n"
	if string(got) != want {
		t.Errorf("mbox\n%q\nwant\n%q", got, want)
	}
	for _, s := range []string{"new", "cur"} {
		if ents, _ := os.ReadDir(filepath.Join(md, s)); len(ents) != 0 {
			t.Errorf("%s/ keeps %d messages", s, len(ents))
		}
	}
	if o := run(t, env[1:], "", "maildir2mbox"); o.code != 111 || o.stderr != "maildir2mbox: fatal: MAILDIR not set\n" {
		t.Errorf("no MAILDIR: %+v", o)
	}
}

func TestMaildirWatchScreen(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "Maildir")
	run(t, nil, "", "maildirmake", md)
	p := filepath.Join(md, "new", "1.x")
	os.WriteFile(p, []byte("Return-Path: <s@x>\nDelivered-To: me@y\nFrom: Sam <s@x>\nSubject: hello\n\nbody\n"), 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	cmd := exec.Command(testbin.Path(t, "maildirwatch"))
	cmd.Env = []string{"MAILDIR=" + md}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	want := "\033[;H\033[;JFROM <s@x> TO <me@y>\n\033[1mFrom: Sam <s@x>\033[0m\nhello/body/\n\n"
	buf := make([]byte, len(want))
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(stdout, buf)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil || string(buf) != want {
			t.Errorf("screen %q (%v), want %q", buf, err, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no screen within 20 s")
	}
}
