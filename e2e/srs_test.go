package e2e

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

func (in *instance) control(files map[string]string) {
	in.t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(in.Home, "control", name), []byte(body+"\n"), 0644); err != nil {
			in.t.Fatal(err)
		}
	}
}

func (in *instance) link(programs ...string) {
	in.t.Helper()
	for _, p := range programs {
		if err := os.Symlink(testbin.Path(in.t, p), filepath.Join(in.Bin, p)); err != nil {
			in.t.Fatal(err)
		}
	}
}

// send hands one message to an SMTP server with Go's client.
func send(t *testing.T, port, from string, to []string, msg string) error {
	t.Helper()
	c, err := smtp.Dial("127.0.0.1:" + port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	w.Write([]byte(msg))
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

var returnPathRE = regexp.MustCompile(`(?m)^Return-Path: <([^>]*)>$`)

// TestSRSForwardAndBounce: a message from orig.test to a.test, which a
// .qmail forwards to b.test, reaches b.test's quail with an SRS0 sender of
// srs.a.test and passes b.test's SPF check (orig.test's own SPF record
// would have refused it from a.test's address). A bounce to that SRS
// address comes back to a.test, is checked at RCPT, and srsreverse in
// .qmail-srs-default sends it on to the original sender; a forged
// SRS address is refused at RCPT.
func TestSRSForwardAndBounce(t *testing.T) {
	dns := dnstest.Start(t, dnstest.Zone(map[string][]string{
		"srs.a.test": {`TXT "v=spf1 ip4:127.0.0.0/8 -all"`},
		"orig.test":  {`TXT "v=spf1 -all"`},
	}))
	sink := testbin.StartSMTPSink(t) // orig.test's mail server

	b := makeInstance(t)
	b.control(map[string]string{"me": "b.test", "locals": "b.test", "rcpthosts": "b.test"})
	b.startSend("./Maildir/")
	bPort := b.smtpd([]string{"SPFBEHAVIOR=3", "DNSCACHEIP=" + dns.Addr})

	a := makeInstance(t)
	a.link("srsforward", "srsreverse")
	a.control(map[string]string{
		"rcpthosts":      "a.test\nsrs.a.test",
		"virtualdomains": "a.test:demo-a\nsrs.a.test:demo-srs",
		"srsdomains":     "a.test:sekrit||srs.",
		"smtproutes":     "b.test:127.0.0.1:" + bPort + "\norig.test:127.0.0.1:" + sink.Port(),
	})
	if err := os.WriteFile(filepath.Join(filepath.Dir(a.Maildir), ".qmail-a-fwd"), []byte("&demo@b.test\n"), 0644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(a.Maildir), ".qmail-srs-default"), []byte("|srsreverse\n"), 0644); err != nil {
		t.Fatal(err)
	}
	a.startSend("./Maildir/")
	aPort := a.smtpd(nil)

	msg := "From: user@orig.test\r\nTo: fwd@a.test\r\nSubject: forwarded\r\n\r\nhello\r\n"
	if err := send(t, aPort, "user@orig.test", []string{"fwd@a.test"}, msg); err != nil {
		t.Fatal(err)
	}
	got := b.waitDelivered(1, 30*time.Second)
	body, _ := os.ReadFile(got[0])
	m := returnPathRE.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no Return-Path in\n%s", body)
	}
	srsAddr := string(m[1])
	if !regexp.MustCompile(`^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=orig\.test=user@srs\.a\.test$`).MatchString(srsAddr) {
		t.Errorf("b.test got the sender %q", srsAddr)
	}
	if !strings.Contains(string(body), "Received-SPF: pass (b.test: domain of "+srsAddr+" designates 127.0.0.1 as permitted sender)") {
		t.Errorf("no SPF pass in\n%s", body)
	}
	if !strings.Contains(string(body), "Subject: forwarded\n") {
		t.Errorf("message changed:\n%s", body)
	}

	forged := regexp.MustCompile(`^SRS0=[^=]{4}`).ReplaceAllString(srsAddr, "SRS0=AAAA")
	err := send(t, aPort, "", []string{forged}, "Subject: forged bounce\r\n\r\nx\r\n")
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 || te.Msg != "5.1.1 sorry, that SRS address is invalid or has expired (#5.1.1)" {
		t.Errorf("forged SRS bounce: %v", err)
	}
	if err := send(t, aPort, "", []string{srsAddr}, "From: MAILER-DAEMON@b.test\r\nSubject: failure notice\r\n\r\nbounced\r\n"); err != nil {
		t.Fatalf("bounce to %s: %v", srsAddr, err)
	}
	if !testbin.Eventually(30*time.Second, func() bool { return len(sink.Envelopes()) > 0 }) {
		t.Fatalf("the bounce never reached orig.test")
	}
	env := sink.Envelopes()[0]
	if env.From != "" || len(env.To) != 1 || env.To[0] != "user@orig.test" {
		t.Errorf("orig.test got the bounce with envelope %+v", env)
	}
	if !sink.Got("Subject: failure notice") {
		t.Errorf("orig.test got %q", sink.Messages())
	}
}
