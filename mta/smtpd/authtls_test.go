package smtpd

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/mta/checkpw"
)

// fakeTLS stands for sslserver's side: after STARTTLS the session reads
// the "decrypted" commands from after and writes to sink.
type fakeTLS struct {
	after  string
	sink   *bytes.Buffer
	sinkTo io.Writer // instead of sink
	env    []string  // the TLS variables; nil: protocol and cipher only
}

func (f *fakeTLS) StartTLS() ([]string, io.Reader, io.Writer, error) {
	env := f.env
	if env == nil {
		env = []string{"SSL_PROTOCOL=TLSv1.3", "SSL_CIPHER=TLS_AES_128_GCM_SHA256"}
	}
	var w io.Writer = f.sink
	if f.sinkTo != nil {
		w = f.sinkTo
	}
	return env, strings.NewReader(f.after), w, nil
}

func TestStartTLS(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.TLSMode = TLSRequire
	var secure bytes.Buffer
	cfg.TLS = &fakeTLS{after: "EHLO again\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n", sink: &secure}
	// The NOOP pipelined after STARTTLS arrives in the clear and must be
	// dropped, not run inside the TLS session.
	clear, log := dialog(t, cfg, []string{"QDIR=" + dir}, "EHLO x\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\nNOOP\r\n")
	if !strings.Contains(clear, "250 STARTTLS\r\n") || !strings.Contains(clear, "530 5.7.0 Must issue a STARTTLS command first") || !strings.HasSuffix(clear, "220 2.0.0 ready to start TLS\r\n") {
		t.Fatalf("cleartext part:\n%s", clear)
	}
	if got := replyCodes(secure.String()); got != "250 250 250 354 250 221" {
		t.Fatalf("TLS part: %s\n%s", got, secure.String())
	}
	if strings.Contains(secure.String(), "STARTTLS") {
		t.Errorf("STARTTLS offered again inside TLS")
	}
	if !strings.Contains(log, "Pipelined_after_STARTTLS") {
		t.Errorf("log:\n%s", log)
	}
	msg, _ := os.ReadFile(filepath.Join(dir, "msg0"))
	if !strings.Contains(string(msg), "with ESMTPS;") {
		t.Errorf("Received line: %q", msg)
	}
}

func checkpasswordScript(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "checkpassword")
	// Good for demo/demo (PLAIN, LOGIN) and for the CRAM user "cram"
	// whatever the digest; otherwise a bad login.
	os.WriteFile(p, []byte(`#!/bin/sh
input=$(tr '\0' ' ' <&3)
case "$input" in
"demo demo "*) exec "$@";;
"cram <"*) exec "$@";;
esac
exit 1
`), 0755)
	return p
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestAuth(t *testing.T) {
	prog, dir := fakeQueue(t)
	cp := checkpasswordScript(t)
	mk := func(mode AuthMode) *Config {
		cfg := testConfig(prog)
		cfg.CheckPassword = []string{cp, "true"}
		cfg.AuthCapable = checkpw.Password | checkpw.CRAMMD5 // as checkvpw
		cfg.Auth = mode
		return cfg
	}
	env := []string{"QDIR=" + dir, "PATH=/bin:/usr/bin"}
	cases := []struct {
		why   string
		mode  AuthMode
		in    string
		codes string
	}{
		{"not offered without TLS by default", AuthMode{}, "EHLO x\r\nAUTH PLAIN " + b64("\x00demo\x00demo") + "\r\n", "220 250 503"},
		{"PLAIN with initial response, then relaying", AuthMode{BeforeTLS: true},
			"EHLO x\r\nAUTH PLAIN " + b64("\x00demo\x00demo") + "\r\nMAIL FROM:<a@b>\r\nRCPT TO:<r@far.invalid>\r\n", "220 250 235 250 250"},
		{"PLAIN in two steps", AuthMode{BeforeTLS: true}, "EHLO x\r\nAUTH PLAIN\r\n" + b64("demo\x00demo\x00demo") + "\r\n", "220 250 334 235"},
		{"LOGIN", AuthMode{BeforeTLS: true}, "EHLO x\r\nAUTH LOGIN\r\n" + b64("demo") + "\r\n" + b64("demo") + "\r\n", "220 250 334 334 235"},
		{"CRAM-MD5 hands user, challenge and digest", AuthMode{BeforeTLS: true}, "EHLO x\r\nAUTH CRAM-MD5\r\n" + b64("cram 0123456789abcdef0123456789abcdef") + "\r\n", "220 250 334 235"},
		{"wrong password", AuthMode{BeforeTLS: true}, "EHLO x\r\nAUTH PLAIN " + b64("\x00demo\x00nope") + "\r\nMAIL FROM:<a@b>\r\nRCPT TO:<r@far.invalid>\r\n", "220 250 535 250 553"},
		{"cancelled", AuthMode{BeforeTLS: true}, "EHLO x\r\nAUTH LOGIN\r\n*\r\n", "220 250 334 501"},
		{"acting for another user is refused", AuthMode{BeforeTLS: true}, "EHLO x\r\nAUTH PLAIN " + b64("root\x00demo\x00demo") + "\r\n", "220 250 501"},
		{"required before MAIL", AuthMode{BeforeTLS: true, Required: true}, "EHLO x\r\nMAIL FROM:<a@b>\r\n", "220 250 530"},
		{"unknown mechanism", AuthMode{BeforeTLS: true}, "EHLO x\r\nAUTH GSSAPI\r\n", "220 250 504"},
		{"switched off", AuthMode{BeforeTLS: true, Off: true}, "EHLO x\r\nAUTH LOGIN\r\n", "220 250 503"},
	}
	for _, c := range cases {
		var out, log bytes.Buffer
		s := NewSession(mk(c.mode), strings.NewReader(c.in), &out, &log, env)
		var slept time.Duration
		s.sleep = func(d time.Duration) { slept += d }
		s.Run()
		if got := replyCodes(out.String()); got != c.codes {
			t.Errorf("%s: %s, want %s\n%s", c.why, got, c.codes, out.String())
		}
		if strings.Contains(c.why, "wrong") && slept == 0 {
			t.Errorf("%s: a failed login was not delayed", c.why)
		}
	}
}

func TestAuthFailuresEndTheSession(t *testing.T) {
	prog, _ := fakeQueue(t)
	cfg := testConfig(prog)
	cfg.CheckPassword = []string{checkpasswordScript(t), "true"}
	cfg.Auth = AuthMode{BeforeTLS: true}
	in := "EHLO x\r\n" + strings.Repeat("AUTH PLAIN "+b64("\x00demo\x00bad")+"\r\n", 10)
	var out bytes.Buffer
	s := NewSession(cfg, strings.NewReader(in), &out, nil, []string{"PATH=/bin:/usr/bin"})
	s.sleep = func(time.Duration) {}
	s.Run()
	if n := strings.Count(out.String(), "535 "); n != MaxAuthFailures || !strings.HasSuffix(out.String(), "421 4.7.0 too many authentication failures (#4.7.0)\r\n") {
		t.Fatalf("%d failures answered:\n%s", n, out.String())
	}
}

func FuzzParsePlain(f *testing.F) {
	f.Add([]byte("\x00demo\x00pw"))
	f.Add([]byte("a\x00b\x00c\x00d"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, _, err := ParsePlain(b)
		if err == nil && len(u) == 0 {
			t.Fatal("empty user accepted")
		}
	})
}
