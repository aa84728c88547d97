package smtpd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/checkpw"
)

// SMTPAUTH's forms are s/qmail's (its qmail-smtpd(8): "!" required,
// "cram" CRAM-MD5 only, "+cram" LOGIN, PLAIN and CRAM-MD5, "-" off),
// and what is offered is further limited to what the checkpassword
// program can check.
func TestSMTPAUTHForms(t *testing.T) {
	const (
		pw   = checkpw.Password
		cram = checkpw.CRAMMD5
		both = pw | cram
	)
	cases := []struct {
		value   *string
		capable checkpw.Mechanisms // 0: not one of quail's checkers
		want    string             // the EHLO AUTH line after TLS, "" none
		mode    AuthMode
		warns   bool
	}{
		{nil, 0, "PLAIN LOGIN", AuthMode{}, false},
		{nil, pw, "PLAIN LOGIN", AuthMode{}, false},
		{nil, both, "PLAIN LOGIN CRAM-MD5", AuthMode{}, false},
		{str(""), both, "PLAIN LOGIN", AuthMode{Mechanisms: pw}, false},
		{str(""), 0, "PLAIN LOGIN", AuthMode{Mechanisms: pw}, false},
		{str("!"), both, "PLAIN LOGIN", AuthMode{Required: true, Mechanisms: pw}, false},
		{str("cram"), both, "CRAM-MD5", AuthMode{Mechanisms: cram}, false},
		{str("CRAM"), 0, "CRAM-MD5", AuthMode{Mechanisms: cram}, false},
		{str("cram"), pw, "", AuthMode{Mechanisms: cram}, false},
		{str("!cram"), both, "CRAM-MD5", AuthMode{Required: true, Mechanisms: cram}, false},
		{str("+cram"), both, "PLAIN LOGIN CRAM-MD5", AuthMode{Mechanisms: both}, false},
		{str("+cram"), 0, "PLAIN LOGIN CRAM-MD5", AuthMode{Mechanisms: both}, false},
		{str("+cram"), pw, "PLAIN LOGIN", AuthMode{Mechanisms: both}, false},
		{str("!+cram"), both, "PLAIN LOGIN CRAM-MD5", AuthMode{Required: true, Mechanisms: both}, false},
		{str("-"), both, "", AuthMode{Off: true}, false},
		{str("+"), both, "PLAIN LOGIN CRAM-MD5", AuthMode{BeforeTLS: true}, false},
		{str("!+"), pw, "PLAIN LOGIN", AuthMode{Required: true, BeforeTLS: true}, false},
		{str("1"), both, "PLAIN LOGIN", AuthMode{Mechanisms: pw}, true},
		{str("cram-md5"), both, "CRAM-MD5", AuthMode{Mechanisms: cram}, true},
	}
	for _, c := range cases {
		name := "unset"
		env := func(string) (string, bool) { return "", false }
		if c.value != nil {
			name = *c.value
			env = func(k string) (string, bool) { return *c.value, k == "SMTPAUTH" }
		}
		var warnings []string
		mode := authModeFromEnv(env, func(f string, a ...any) { warnings = append(warnings, f) })
		if mode != c.mode || (len(warnings) > 0) != c.warns {
			t.Errorf("SMTPAUTH=%s: %+v, warnings %q; want %+v", name, mode, warnings, c.mode)
		}
		cfg := testConfig("")
		cfg.CheckPassword = []string{"checker", "true"}
		cfg.Auth, cfg.AuthCapable, cfg.TLSActive = mode, c.capable, true
		out, _ := dialog(t, cfg, nil, "EHLO x\r\n")
		got := ""
		for _, l := range strings.Split(out, "\r\n") {
			if v, ok := strings.CutPrefix(l[min(4, len(l)):], "AUTH "); ok {
				got = v
			}
		}
		if got != c.want {
			t.Errorf("SMTPAUTH=%s, capable %d: AUTH %q, want %q", name, c.capable, got, c.want)
		}
	}
}

func str(s string) *string { return &s }

// A mechanism that is not offered is not accepted either: the README's
// chain with a program that checks passwords only must not take a
// CRAM-MD5 exchange it cannot judge.
func TestAuthRefusesMechanismsNotOffered(t *testing.T) {
	cfg := testConfig("")
	cfg.CheckPassword = []string{checkpasswordScript(t), "true"}
	cfg.AuthCapable = checkpw.Password
	cfg.TLSActive = true
	out, _ := dialog(t, cfg, []string{"PATH=/bin:/usr/bin"}, "EHLO x\r\nAUTH CRAM-MD5\r\n")
	if got := replyCodes(out); got != "220 250 504" {
		t.Errorf("CRAM-MD5 not offered: %s\n%s", got, out)
	}
}

// A checker that exits 2 (checkpw.ExitCannotCheck) could not judge the
// login: that is not a wrong password, so it is neither delayed nor
// counted towards the failures that end a session, and the client hears
// that another mechanism may work.
func TestAuthCannotCheckIsNotAFailedLogin(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cannot")
	os.WriteFile(p, []byte("#!/bin/sh\ncat <&3 >/dev/null\nexit 2\n"), 0o755)
	cfg := testConfig("")
	cfg.CheckPassword = []string{p, "true"}
	cfg.AuthCapable = checkpw.Password | checkpw.CRAMMD5
	cfg.TLSActive = true
	in := "EHLO x\r\n" + strings.Repeat("AUTH CRAM-MD5\r\n"+b64("demo 0123456789abcdef0123456789abcdef")+"\r\n", MaxAuthFailures+1)
	var out, log bytes.Buffer
	s := NewSession(cfg, strings.NewReader(in), &out, &log, []string{"PATH=/bin:/usr/bin"})
	var slept time.Duration
	s.sleep = func(d time.Duration) { slept += d }
	s.Run()
	want := "220 250" + strings.Repeat(" 334 504", MaxAuthFailures+1)
	if got := replyCodes(out.String()); got != want || slept != 0 {
		t.Fatalf("replies %s (want %s), slept %v\n%s", got, want, slept, out.String())
	}
	if !strings.Contains(out.String(), "504 5.5.4 that mechanism is not available for this user, try another (#5.5.4)\r\n") {
		t.Errorf("reply text:\n%s", out.String())
	}
	if !strings.Contains(log.String(), "qmail-smtpd: Reject::AUTH::CRAM-MD5: ") || !strings.Contains(log.String(), " A:demo cannot_check\n") {
		t.Errorf("log:\n%s", log.String())
	}
}

// Capabilities knows quail's own checkers by their build, not their
// name: a script called checkvpw is not taken for one.
func TestCapabilitiesByBuildNotName(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"checkpassword", "checkvpw", "cmd5checkpw"} {
		if err := os.Symlink(testbin.Path(t, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	impostor := filepath.Join(t.TempDir(), "checkvpw")
	os.WriteFile(impostor, []byte("#!/bin/sh\nexit 1\n"), 0o755)
	env := []string{"PATH=" + dir}
	for _, c := range []struct {
		argv  []string
		want  checkpw.Mechanisms
		known bool
	}{
		{[]string{"checkpassword", "true"}, checkpw.Password, true},
		{[]string{"checkvpw", "true"}, checkpw.Password | checkpw.CRAMMD5, true},
		{[]string{"cmd5checkpw", "true"}, checkpw.Password | checkpw.CRAMMD5, true},
		{[]string{impostor, "true"}, 0, false},
		{[]string{"missing", "true"}, 0, false},
	} {
		m, known := checkpw.Capabilities(c.argv, env)
		if m != c.want || known != c.known {
			t.Errorf("%s: %d %v, want %d %v", c.argv[0], m, known, c.want, c.known)
		}
	}
}
