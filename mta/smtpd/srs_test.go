package smtpd

import (
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/mta/rcpthosts"
	"github.com/quail-mta/quail/mta/srs"
)

// A bounce to an SRS address of control/srsdomains is checked at RCPT:
// one made here and still valid is accepted, a forged, damaged or
// expired one refused; SRS addresses of other domains and ordinary
// addresses are not looked at.
func TestRcptChecksSRSAddresses(t *testing.T) {
	prog, dir := fakeQueue(t)
	cfg := testConfig(prog)
	d, err := srs.ParseDomains([]string{"test:secret1 secret0||srs."})
	if err != nil {
		t.Fatal(err)
	}
	cfg.SRS = d
	now := time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC) // dialog's clock
	codec := &srs.Codec{Secrets: []string{"secret1"}}
	made := func(at time.Time, c *srs.Codec) string {
		a, err := c.Forward("user@orig.example", "srs.test", at)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	valid := made(now, codec)
	old := made(now.Add(-30*24*time.Hour), codec)
	forged := made(now, &srs.Codec{Secrets: []string{"guess"}})
	second := made(now, &srs.Codec{Secrets: []string{"secret0"}})
	elsewhere := strings.Replace(forged, "@srs.test", "@other.example.test", 1)
	in := "HELO x\r\nMAIL FROM:<>\r\n" +
		"RCPT TO:<" + valid + ">\r\n" +
		"RCPT TO:<" + second + ">\r\n" +
		"RCPT TO:<" + old + ">\r\n" +
		"RCPT TO:<" + forged + ">\r\n" +
		"RCPT TO:<SRS0=xyz@srs.test>\r\n" +
		"RCPT TO:<" + elsewhere + ">\r\n" +
		"RCPT TO:<plain@srs.test>\r\n" +
		"QUIT\r\n"
	cfg.Rcpthosts = rcpthosts.New([]string{"test", "srs.test", ".example.test"})
	out, log := dialog(t, cfg, []string{"QDIR=" + dir}, in)
	refused := "550 sorry, that SRS address is invalid or has expired (#5.1.1)\r\n"
	want := "220 mx.test ESMTP\r\n250 mx.test\r\n250 ok\r\n" +
		"250 ok\r\n250 ok\r\n" + refused + refused + refused + "250 ok\r\n250 ok\r\n221 mx.test\r\n"
	if out != want {
		t.Errorf("replies:\n%s\nwant:\n%s", out, want)
	}
	line := func(result, reason, rcpt string) string {
		return "qmail-smtpd: " + result + "::RCPT::" + reason + ": P:SMTP S:127.0.0.9:client.test H:x F: T:" + rcpt + "\n"
	}
	wantLog := line("Accept", "Rcpthosts", valid) + line("Accept", "Rcpthosts", second) +
		line("Reject", "SRS_expired", old) + line("Reject", "SRS_invalid", forged) + line("Reject", "SRS_invalid", "SRS0=xyz@srs.test") +
		line("Accept", "Rcpthosts", elsewhere) + line("Accept", "Rcpthosts", "plain@srs.test")
	if log != wantLog {
		t.Errorf("log:\n%s\nwant:\n%s", log, wantLog)
	}
}
