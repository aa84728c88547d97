package smtpd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/mta/throttle"
)

// SMTP AUTH through the login throttle: the failure that reaches the
// address's limit says so in the log, and the next login is answered
// 454 without the checkpassword program being run, whatever the
// password. The sessions' sleeps are recorded, not slept.
func TestAuthThrottled(t *testing.T) {
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, throttle.Dir), 0o700)
	now := time.Unix(1_800_000_000, 0)
	th := throttle.New(home, func() time.Time { return now })
	for i := 0; i < throttle.AddressPolicy.Free-1; i++ {
		th.Failed("127.0.0.9", "someone")
	}
	ran := filepath.Join(t.TempDir(), "ran")
	checker := filepath.Join(t.TempDir(), "checker")
	os.WriteFile(checker, []byte("#!/bin/sh\necho >> \""+ran+"\"\nexit 1\n"), 0o755)
	session := func(in string) (string, string, []time.Duration) {
		prog, _ := fakeQueue(t)
		cfg := testConfig(prog)
		cfg.CheckPassword = []string{checker, "true"}
		cfg.Auth = AuthMode{BeforeTLS: true}
		cfg.Throttle = th
		var out, log bytes.Buffer
		var slept []time.Duration
		s := NewSession(cfg, strings.NewReader(in), &out, &log, []string{"PATH=/bin:/usr/bin"})
		s.sleep = func(d time.Duration) { slept = append(slept, d) }
		s.Run()
		return out.String(), log.String(), slept
	}
	out, log, slept := session("EHLO x\r\nAUTH PLAIN " + b64("\x00demo\x00guess") + "\r\nQUIT\r\n")
	if !strings.HasSuffix(out, "\r\n535 5.7.8 authentication failed (#5.7.1)\r\n221 2.0.0 mx.test\r\n") ||
		log != "qmail-smtpd: Reject::AUTH::PLAIN: P:ESMTP S:127.0.0.9:client.test H:x F: T: A:demo failures:1 throttle:address:60\n" ||
		len(slept) != 1 || slept[0] != 8*time.Second {
		t.Errorf("the tenth failure:\n%s%s%v", out, log, slept)
	}
	now = now.Add(59 * time.Second)
	out, log, slept = session("EHLO x\r\nAUTH PLAIN " + b64("\x00demo\x00right") + "\r\nQUIT\r\n")
	if !strings.HasSuffix(out, "\r\n454 4.7.0 too many failed logins, try again later (#4.7.0)\r\n221 2.0.0 mx.test\r\n") ||
		log != "qmail-smtpd: Reject::AUTH::Throttled: P:ESMTP S:127.0.0.9:client.test H:x F: T: A:demo mech:PLAIN throttle:address:1\n" ||
		len(slept) != 0 {
		t.Errorf("a refused login:\n%s%s%v", out, log, slept)
	}
	if b, _ := os.ReadFile(ran); len(b) != 1 {
		t.Errorf("the checker ran %d times, want once", len(b))
	}
	now = now.Add(time.Second)
	if out, _, _ = session("EHLO x\r\nAUTH PLAIN " + b64("\x00demo\x00again") + "\r\nQUIT\r\n"); !strings.Contains(out, "\r\n535 ") {
		t.Errorf("not checked again when the refusal ended:\n%s", out)
	}
}
