package serialmail

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// scriptedServer answers serialsmtp on a socket pair: greeting, then for
// each line the client sends, the reply reply(line) gives (none for the
// lines of a message). It records everything the client sent.
func scriptedServer(t *testing.T, conn net.Conn, greeting string, reply func(line string) string) chan string {
	done := make(chan string, 1)
	go func() {
		var got strings.Builder
		defer func() { done <- got.String() }()
		conn.Write([]byte(greeting))
		br := bufio.NewReader(conn)
		inData := false
		for {
			line, err := br.ReadString('\n')
			got.WriteString(line)
			if err != nil {
				return
			}
			if inData {
				if line == ".\r\n" {
					inData = false
					conn.Write([]byte(reply(".")))
				}
				continue
			}
			r := reply(strings.TrimSuffix(line, "\r\n"))
			if strings.HasPrefix(line, "DATA") && strings.HasPrefix(r, "354") {
				inData = true
			}
			conn.Write([]byte(r))
			if strings.HasPrefix(line, "QUIT") {
				return
			}
		}
	}()
	return done
}

func runSerialSMTP(t *testing.T, dir string, names []string, env []string, greeting string, reply func(string) string) (stdout, stderr string, code int, sent string) {
	t.Helper()
	server, client := testbin.TCPPair(t)
	done := scriptedServer(t, server, greeting, reply)
	cf, err := client.(*net.TCPConn).File()
	testbin.Must(t, err)
	client.Close()
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	cmd := exec.Command(testbin.Path(t, "serialsmtp"), prefix, "helo.test")
	cmd.Dir = dir
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{null, null, null, cf, cf}
	cmd.Stdin = strings.NewReader(strings.Join(names, "\x00") + "\x00")
	stdout, stderr, code = testbin.Run(t, cmd)
	cf.Close()
	server.Close()
	return stdout, stderr, code, <-done
}

func threeMessages(t *testing.T) string {
	dir := t.TempDir()
	testbin.WriteFiles(t, dir, map[string]string{
		"new/1": "Return-Path: <a@b.test>\nDelivered-To: " + prefix + "ok@x.test\n\n.dot\nline\n",
		"new/2": "Return-Path: <>\nDelivered-To: " + prefix + "bad@x.test\n\nbody\n",
		"new/3": "Return-Path: <c@b.test>\nDelivered-To: " + prefix + "later@x.test\n\nbody\n",
		"new/4": "Return-Path: <a@b.test>\nDelivered-To: other-prefix@x.test\n\nbody\n",
	})
	return dir
}

func TestSerialSMTPWithoutPipelining(t *testing.T) {
	reply := func(l string) string {
		switch {
		case strings.HasPrefix(l, "EHLO"):
			return "250-server.test\r\n250 8BITMIME\r\n"
		case strings.HasPrefix(l, "MAIL FROM:<c@b.test>"):
			return "451 try later\r\n"
		case strings.HasPrefix(l, "RCPT TO:<bad@"):
			return "553 no such user\r\n"
		case l == "DATA":
			return "354 go\r\n"
		case l == ".":
			return "250 ok 1234\r\n"
		case l == "QUIT":
			return "221 bye\r\n"
		}
		return "250 fine\r\n"
	}
	out, errs, code, sent := runSerialSMTP(t, threeMessages(t), []string{"new/1", "new/2", "new/3", "new/4"},
		[]string{"TCPREMOTEIP=192.0.2.7"}, "220 server.test ESMTP\r\n", reply)
	wantOut := "new/1\x00K192.0.2.7 said: 250 ok 1234\n" +
		"new/2\x00D192.0.2.7 said: 553 no such user\n" +
		"new/3\x00Z192.0.2.7 said: 451 try later\n"
	wantSent := "EHLO helo.test\r\n" +
		"MAIL FROM:<a@b.test>\r\nRCPT TO:<ok@x.test>\r\nDATA\r\n\r\n..dot\r\nline\r\n.\r\n" +
		"RSET\r\nMAIL FROM:<>\r\nRCPT TO:<bad@x.test>\r\n" +
		"RSET\r\nMAIL FROM:<c@b.test>\r\n" +
		"QUIT\r\n"
	if code != 0 || out != wantOut || errs != "" || sent != wantSent {
		t.Errorf("exit %d\nstdout %q\n  want %q\nstderr %q\nsent %q\nwant %q", code, out, wantOut, errs, sent, wantSent)
	}
}

func TestSerialSMTPWithPipelining(t *testing.T) {
	reply := func(l string) string {
		switch {
		case strings.HasPrefix(l, "EHLO"):
			return "250-server.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
		case strings.HasPrefix(l, "RCPT TO:<bad@"):
			return "553 no such user\r\n"
		case strings.HasPrefix(l, "MAIL FROM:<c@b.test>"):
			return "451 try later\r\n"
		case l == "DATA":
			return "354 go\r\n"
		case l == ".":
			return "250 ok\r\n"
		case l == "QUIT":
			return "221 bye\r\n"
		}
		return "250 fine\r\n"
	}
	// A refused RCPT makes the server refuse DATA too (no 354).
	pipelined := func(l string) string {
		r := reply(l)
		if l == "DATA" && lastRcptBad {
			lastRcptBad = false
			return "554 no valid recipients\r\n"
		}
		if l == "DATA" && lastMailBad {
			lastMailBad = false
			return "503 need RCPT\r\n"
		}
		if strings.HasPrefix(l, "RCPT TO:<bad@") {
			lastRcptBad = true
		}
		if strings.HasPrefix(l, "MAIL FROM:<c@") {
			lastMailBad = true
		}
		if strings.HasPrefix(l, "RCPT") && lastMailBad {
			return "503 need MAIL\r\n"
		}
		return r
	}
	out, errs, code, sent := runSerialSMTP(t, threeMessages(t), []string{"new/1", "new/2", "new/3"}, nil, "220 server.test\r\n", pipelined)
	wantOut := "new/1\x00K250 ok\n" + "new/2\x00D553 no such user\n" + "new/3\x00Z451 try later\n"
	wantSent := "EHLO helo.test\r\n" +
		"MAIL FROM:<a@b.test>\r\nRCPT TO:<ok@x.test>\r\nDATA\r\n\r\n..dot\r\nline\r\n.\r\n" +
		"RSET\r\nMAIL FROM:<>\r\nRCPT TO:<bad@x.test>\r\nDATA\r\n" +
		"RSET\r\nMAIL FROM:<c@b.test>\r\nRCPT TO:<later@x.test>\r\nDATA\r\n" +
		"QUIT\r\n"
	if code != 0 || out != wantOut || errs != "" || sent != wantSent {
		t.Errorf("exit %d\nstdout %q\n  want %q\nstderr %q\nsent %q\nwant %q", code, out, wantOut, errs, sent, wantSent)
	}
}

var lastRcptBad, lastMailBad bool

func TestSerialSMTPFailures(t *testing.T) {
	for _, c := range []struct {
		why, greeting, stderr string
		reply                 func(string) string
		names                 []string
	}{
		{"greeting refused", "554 go away\r\n", "serialsmtp: fatal: connected but greeting failed\n", func(string) string { return "221 bye\r\n" }, nil},
		{"name refused", "220 hi\r\n", "serialsmtp: fatal: connected but my name was rejected\n", func(l string) string { return "550 who\r\n" }, nil},
		{"garbage reply", "220 hi\r\n", "serialsmtp: fatal: protocol violation\n", func(l string) string { return "xx\r\n" }, nil},
		{"a missing file", "220 hi\r\n", "serialsmtp: fatal: unable to open new/nothere: file does not exist\n", func(l string) string { return "250 ok\r\n" }, []string{"new/nothere"}},
	} {
		_, errs, code, _ := runSerialSMTP(t, t.TempDir(), c.names, nil, c.greeting, c.reply)
		if code != 111 || errs != c.stderr {
			t.Errorf("%s: exit %d, stderr %q, want 111 %q", c.why, code, errs, c.stderr)
		}
	}
	cmd := exec.Command(testbin.Path(t, "serialsmtp"), prefix)
	if _, errs, code := testbin.Run(t, cmd); code != 100 || errs != "serialsmtp: usage: serialsmtp prefix helohost\n" {
		t.Errorf("usage: exit %d %q", code, errs)
	}
}

// TestMaildirserialBouncesAndLifetime: with -b a D result is bounced to
// the sender (a bounce to doublebounceto, none for #@[]) and removed; Z
// stays unless older than -t's lifetime, when it is bounced as too old.
func TestMaildirserialBouncesAndLifetime(t *testing.T) {
	dir := fillMaildir(t, 0)
	testbin.WriteFiles(t, dir, map[string]string{
		"new/a": "Return-Path: <s@origin.test>\nDelivered-To: " + prefix + "u@d.test\n\nhello\n",
		"new/b": "Return-Path: <>\nDelivered-To: " + prefix + "v@d.test\n\nbounce\n",
		"new/c": "Return-Path: <#@[]>\nDelivered-To: " + prefix + "w@d.test\n\ndouble\n",
		"new/d": "Return-Path: <s@origin.test>\nDelivered-To: " + prefix + "old@d.test\n\nold\n",
		"new/e": "Return-Path: <s@origin.test>\nDelivered-To: " + prefix + "young@d.test\n\nyoung\n",
	})
	old := mustTime(t, "2020-01-01T00:00:00Z")
	for _, n := range []string{"a", "b", "c", "e"} {
		testbin.Must(t, os.Chtimes(filepath.Join(dir, "new", n), nowMinus(60), nowMinus(60)))
	}
	testbin.Must(t, os.Chtimes(filepath.Join(dir, "new", "d"), old, old))
	client := filepath.Join(t.TempDir(), "client")
	testbin.Must(t, os.WriteFile(client, []byte(`#!/bin/sh
tr '\0' '\n' | while read f; do
  case "$f" in
  */a|*/b|*/c) printf '%s\0Dno such user\n' "$f" ;;
  *) printf '%s\0Zbusy\n' "$f" ;;
  esac
done
`), 0o755))
	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/me": "me.test\n", "control/doublebounceto": "dbl\n"})
	q := testbin.StandInQueue(t, filepath.Join(home, "bin"))
	cmd := exec.Command(testbin.Path(t, "maildirserial"), "-b", "-t", "86400", dir, prefix, client)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}
	_, errs, code := testbin.Run(t, cmd)
	if code != 111 {
		t.Errorf("exit %d, want 111 (young is left)\n%s", code, errs)
	}
	for _, want := range []string{
		"maildirserial: info: new/a bounced: no such user\n",
		"maildirserial: info: discarding new/c: triple bounce\n",
		"maildirserial: info: new/e failed temporarily: busy\n",
		"maildirserial: info: new/d bounced: busy\n",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if n := remaining(t, dir); n != 1 {
		t.Errorf("%d messages left, want 1 (young)", n)
	}
	queued := strings.Join(q.Queued(t), "\n====\n")
	for _, want := range []string{
		"From: MAILER-DAEMON@me.test\nTo: s@origin.test\nSubject: failure notice\n\nHi. This is the maildirbounce program at me.test.\nI'm afraid I wasn't able to deliver your message to the following address.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<u@d.test>:\nno such user\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <s@origin.test>\n\nhello\n|F\x00Ts@origin.test\x00\x00",
		"To: dbl@me.test\n",
		"I tried to deliver a bounce message to this address, but the bounce bounced!\n\n<v@d.test>:\nno such user\n\n--- Below this line is the original bounce.\n\nReturn-Path: <>\n\nbounce\n|F#@[]\x00Tdbl@me.test\x00\x00",
		"<old@d.test>:\nbusy\nThis message is too old. Giving up.\n",
	} {
		if !strings.Contains(queued, want) {
			t.Errorf("bounces lack %q:\n%s", want, queued)
		}
	}
	if strings.Contains(queued, "double") {
		t.Errorf("a triple bounce was sent")
	}
}
