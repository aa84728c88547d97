package smtpd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/rcpthosts"
)

// badmailfrom's extended lines (s/qmail's and Spamcontrol's
// qmail-smtpd(8)): '?' lets a sender pass, "@domain-" refuses it from
// clients without a name, "@domain=" from clients not named in domain,
// "@domain+" from clients that may not relay, "~domain" refuses foreign
// senders from clients named in domain.
func TestBadmailfromForms(t *testing.T) {
	lines := []string{"@spam.test", "?friend@spam.test", "@unknown.test-", "@bank.test=", "@own.test+", "~dialup.test"}
	cases := []struct {
		why, host, from string
		relay           bool
		code, reason    string
	}{
		{"plain @domain line", "client.test", "x@spam.test", false, "553", "Badmailfrom"},
		{"? lets it pass", "client.test", "Friend@SPAM.test", false, "250", ""},
		{"- from a client without a name", "unknown", "x@unknown.test", false, "553", "Badmailfrom_unknown"},
		{"- from a named client", "client.test", "x@unknown.test", false, "250", ""},
		{"= from a client in the domain", "mx1.bank.test", "x@bank.test", false, "250", ""},
		{"= from another client", "client.test", "x@bank.test", false, "553", "Badmailfrom_wellknown"},
		{"= from a client without a name", "unknown", "x@bank.test", false, "553", "Badmailfrom_wellknown"},
		{"+ from a client that may not relay", "client.test", "boss@own.test", false, "553", "Badmailfrom_relay"},
		{"+ from a relay client", "client.test", "boss@own.test", true, "250", ""},
		{"~ client of the domain sending as another", "p1.dialup.test", "x@elsewhere.test", false, "553", "Badmailfrom_mismatch"},
		{"~ client of the domain sending as itself", "p1.dialup.test", "x@p1.dialup.test", false, "250", ""},
		{"~ other clients are not concerned", "client.test", "x@elsewhere.test", false, "250", ""},
	}
	for _, c := range cases {
		cfg := testConfig("")
		pat, forms := splitBadMailFrom(lines)
		cfg.BadMailFrom, cfg.MailFromForms = NewPatternList(pat), forms
		cfg.RemoteHost = c.host
		if c.relay {
			r := ""
			cfg.RelayClient = &r
		}
		out, log := dialog(t, cfg, nil, "HELO x\r\nMAIL FROM:<"+c.from+">\r\n")
		codes := strings.Fields(replyCodes(out))
		if codes[len(codes)-1] != c.code || c.reason != "" && !strings.Contains(log, "Reject::MAIL::"+c.reason+":") {
			t.Errorf("%s: %s\n%s", c.why, out, log)
		}
	}
	// '?' passes MFDNSCHECK too: no DNS is asked (there is none here, so
	// the check could only refuse).
	cfg := testConfig("")
	pat, forms := splitBadMailFrom([]string{"?a@nowhere.invalid"})
	cfg.BadMailFrom, cfg.MailFromForms = NewPatternList(pat), forms
	cfg.Filters.MFDNSCheck, cfg.Filters.DNS = true, zoneDNS{}
	if out, _ := dialog(t, cfg, nil, "HELO x\r\nMAIL FROM:<a@nowhere.invalid>\r\nMAIL FROM:<b@nowhere.invalid>\r\n"); replyCodes(out) != "220 250 250 503" {
		t.Errorf("? and MFDNSCHECK: %s", out)
	}
}

// UCSPITLS "?" requires STARTTLS and lets a client whose certificate
// sslserver verified relay; "@" also logs it in as the certificate's
// address (s/qmail's qmail-smtpd(8)).
func TestUCSPITLSClientCertificate(t *testing.T) {
	prog, dir := fakeQueue(t)
	cert := []string{"SSL_PROTOCOL=TLSv1.3", "SSL_CIPHER=TLS_AES_128_GCM_SHA256", "SSL_CLIENT_VERIFY=SUCCESS",
		"SSL_CLIENT_S_DN=/CN=laptop/emailAddress=alice@example.test", "SSL_CLIENT_S_DN_CN=laptop", "SSL_CLIENT_S_DN_Email=alice@example.test"}
	cases := []struct {
		why, value string
		env        []string
		codes      string
		log        string
	}{
		{"? with a verified certificate relays", "?", cert, "250 250 250 354 250 221", "Accept::RCPT::Cert:"},
		{"@ logs in as the certificate's address", "@", cert, "250 250 250 354 250 221", " A:alice@example.test"},
		{"? without a certificate may not relay", "?", cert[:2], "250 250 553 503 502 502 221", "Reject::RCPT::Rcpthosts"},
		{"? with an unverified certificate may not relay", "?", append(append([]string{}, cert[:2]...), "SSL_CLIENT_VERIFY=FAILED", cert[3]), "250 250 553 503 502 502 221", "Reject::RCPT::Rcpthosts"},
	}
	for _, c := range cases {
		home := t.TempDir()
		os.Mkdir(filepath.Join(home, "control"), 0o755)
		os.WriteFile(filepath.Join(home, "control", "me"), []byte("mx.test\n"), 0o644)
		cfg, err := LoadConfig(home, func(k string) (string, bool) { return c.value, k == "UCSPITLS" })
		if err != nil || cfg.TLSMode != TLSRequire || !cfg.TLSCertRelay || cfg.TLSCertLogin != (c.value == "@") || len(cfg.Warnings) != 0 {
			t.Fatalf("%s: %+v %v", c.why, cfg, err)
		}
		cfg.QueueProgram, cfg.StartQueue, cfg.Rcpthosts = prog, standInQueue, rcpthosts.New([]string{"test"})
		var secure strings.Builder
		tls := &fakeTLS{after: "EHLO again\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@far.invalid>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n", env: c.env}
		tls.sinkTo = &secure
		cfg.TLS = tls
		clear, log := dialog(t, cfg, []string{"QDIR=" + dir}, "EHLO x\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\n")
		if !strings.Contains(clear, "530 5.7.0 Must issue a STARTTLS command first") {
			t.Errorf("%s: MAIL before STARTTLS:\n%s", c.why, clear)
		}
		if got := replyCodes(secure.String()); got != c.codes || !strings.Contains(log, c.log) {
			t.Errorf("%s: %s, want %s\n%s\n%s", c.why, got, c.codes, secure.String(), log)
		}
	}
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, "control"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("mx.test\n"), 0o644)
	cfg, _ := LoadConfig(home, func(k string) (string, bool) { return "yes", k == "UCSPITLS" })
	if len(cfg.Warnings) != 1 || cfg.Warnings[0] != `unknown UCSPITLS value "yes", taken as ""` {
		t.Errorf("warnings %q", cfg.Warnings)
	}
}

// control/localiphost: a recipient at an address literal of this host is
// a recipient at localiphost, default control/me, before rcpthosts
// (qmail-smtpd(8)); another host's literal stays a literal.
func TestLocalIPHost(t *testing.T) {
	prog, dir := fakeQueue(t)
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, "control"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("mx.test\n"), 0o644)
	for _, c := range []struct{ localiphost, want string }{{"", "Tbox@mx.test\x00"}, {"local.test\n", "Tbox@local.test\x00"}} {
		if c.localiphost != "" {
			os.WriteFile(filepath.Join(home, "control", "localiphost"), []byte(c.localiphost), 0o644)
		}
		cfg, err := LoadConfig(home, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		cfg.QueueProgram, cfg.StartQueue = prog, standInQueue
		cfg.Rcpthosts = rcpthosts.New([]string{"mx.test", "local.test"})
		out, _ := dialog(t, cfg, []string{"QDIR=" + dir}, "HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<box@[127.0.0.1]>\r\nRCPT TO:<box@[192.0.2.7]>\r\nDATA\r\nx\r\n.\r\n")
		if got := replyCodes(out); got != "220 250 250 250 553 354 250" {
			t.Fatalf("%s\n%s", got, out)
		}
		ents, _ := filepath.Glob(filepath.Join(dir, "env*"))
		b, _ := os.ReadFile(ents[len(ents)-1])
		if !strings.Contains(string(b), c.want) {
			t.Errorf("localiphost %q: envelope %q, want %q", c.localiphost, b, c.want)
		}
	}
}

// A message the QHPSI scanner refuses gets one reply, 554 with 5.7.1 in
// both places, whether quail's qmail-queue ran as a program (its custom
// error on descriptor 6, as here) or in qmail-smtpd's process (e2e), and
// the log names the finding and the scanner.
func TestVirusReplyAndLog(t *testing.T) {
	dir := t.TempDir()
	qq := filepath.Join(dir, "qq")
	os.WriteFile(qq, []byte("#!/bin/sh\ncat >/dev/null\ncat <&1 >/dev/null\nprintf 'Dvirus found by the content scanner (#5.7.1)' >&6\nexit 82\n"), 0o755)
	cfg := testConfig(qq)
	cfg.StartQueue = nil // the program itself, for its descriptor 6
	cfg.Scanner = "clamdscan"
	out, log := dialog(t, cfg, nil, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\n")
	if !strings.Contains(out, "\r\n554 5.7.1 virus found by the content scanner (#5.7.1)\r\n") {
		t.Errorf("reply:\n%s", out)
	}
	if !strings.Contains(log, "qmail-smtpd: Reject::DATA::Virus_found: ") || !strings.Contains(log, " scanner:clamdscan\n") {
		t.Errorf("log:\n%s", log)
	}
}
