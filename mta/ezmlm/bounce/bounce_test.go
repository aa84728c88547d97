package bounce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

// report is qmail-send's bounce (QSBMF) of message 1 to the list,
// for one subscriber and one stranger.
const report = "Return-Path: <>\n" +
	"Date: 1 Jan 2026 00:00:00 -0000\n" +
	"From: MAILER-DAEMON@example.org\n" +
	"To: joe-sos-return-1-@example.org\n" +
	"Subject: failure notice\n" +
	"\n" +
	"Hi. This is the qmail-send program at example.org.\n" +
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n" +
	"This is a permanent error; I've given up. Sorry it didn't work out.\n" +
	"\n" +
	"<bob@example.com>:\n" +
	"127.0.0.1 does not like recipient.\n" +
	"Remote host said: 550 no mailbox here by that name\n" +
	"Giving up on 127.0.0.1.\n" +
	"\n" +
	"<stranger@example.com>:\n" +
	"Sorry, no mailbox here by that name.\n" +
	"\n" +
	"--- Below this line is a copy of the message.\n" +
	"\n" +
	"Subject: the post\n"

func files(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "bounce", pattern))
	return m
}

// TestReturnReport: qmail-send's report records the subscriber's
// bounce (the address, a NUL, Return-Path, the header and the
// paragraphs that concern it) and the message number; a stranger's is
// ignored; a second bounce adds only its number.
func TestReturnReport(t *testing.T) {
	l := ezmlmtest.New(t, "")
	(&listdir.DB{Dir: l.Dir}).Add("bob@example.com", "+", "")
	code, stderr := l.Run(Return, "ezmlm-return", report, []string{"SENDER=", "DEFAULT=1-"}, l.Dir)
	if code != 99 || stderr != "" {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	d := files(t, l.Dir, "d/*/d*")
	if len(d) != 1 {
		t.Fatalf("d files %v", d)
	}
	b, _ := os.ReadFile(d[0])
	want := "bob@example.com\x00Return-Path: <>\n" + report[:strings.Index(report, "<stranger")]
	if string(b) != want {
		t.Errorf("stored bounce:\n%q\nwant:\n%q", b, want)
	}
	h := cookie.Cookie(nil, "", "bob@example.com", 0)
	hfile := filepath.Join(l.Dir, "bounce", "h", h[:1], "h"+h[1:])
	if b, _ := os.ReadFile(hfile); string(b) != "   1\n" {
		t.Errorf("%s: %q", hfile, b)
	}
	code, _ = l.Run(Return, "ezmlm-return", "Subject: x\n\nanother bounce\n", []string{"SENDER=", "DEFAULT=2-bob=example.com"}, l.Dir)
	if code != 99 {
		t.Fatalf("VERP bounce: exit %d", code)
	}
	if b, _ := os.ReadFile(hfile); string(b) != "   1\n   2\n" {
		t.Errorf("after a second bounce %q", b)
	}
	if d := files(t, l.Dir, "d/*/d*"); len(d) != 1 {
		t.Errorf("a second bounce stored in full: %v", d)
	}
	if left := files(t, l.Dir, "d/*_*"); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestBounceCycle: warning, bounced warning, probe, bounced probe,
// removal; each step's envelope as ezmlm-warn makes it.
func TestBounceCycle(t *testing.T) {
	l := ezmlmtest.New(t, "")
	db := &listdir.DB{Dir: l.Dir}
	db.Add("bob@example.com", "+", "")
	db.Add("ann@example.net", "+", "")
	l.Run(Return, "ezmlm-return", "Subject: x\n\nbounced\n", []string{"SENDER=", "DEFAULT=1-bob=example.com"}, l.Dir)
	if code, stderr := l.Run(Warn, "ezmlm-warn", "", nil, "-t", "0", l.Dir); code != 0 || !strings.HasPrefix(stderr, "ezmlm-warn: info: qp ") {
		t.Fatalf("ezmlm-warn: exit %d, %q", code, stderr)
	}
	w := l.One()
	def, ok := strings.CutPrefix(w.Sender, "joe-sos-return-")
	if !ok || !strings.HasSuffix(def, "-bob=example.com@example.org") || strings.Join(w.Recips, ",") != "bob@example.com" {
		t.Fatalf("warning envelope %q %q", w.Sender, w.Recips)
	}
	def = strings.TrimSuffix(def, "@example.org")
	for _, s := range []string{"\nSubject: Warning from joe-sos@example.org\n", "\nTo: bob@example.com\n", "have been coming back as undeliverable", "\n   1\n", "\nbounced\n"} {
		if !strings.Contains(w.Message, s) {
			t.Errorf("warning lacks %q:\n%s", s, w.Message)
		}
	}
	if len(files(t, l.Dir, "d/*/*")) != 0 || len(files(t, l.Dir, "h/*/*")) != 0 {
		t.Error("the bounce and the numbers stayed after the warning")
	}
	l.Reset()
	if code, _ := l.Run(Return, "ezmlm-return", "Subject: x\n\nwarning bounced\n", []string{"SENDER=", "DEFAULT=" + def}, l.Dir); code != 99 {
		t.Fatal("bounced warning not taken")
	}
	if w := files(t, l.Dir, "d/*/w*"); len(w) != 1 {
		t.Fatalf("w files %v", w)
	}
	l.Run(Warn, "ezmlm-warn", "", nil, "-t", "0", l.Dir)
	p := l.One()
	if !strings.HasPrefix(p.Sender, "joe-sos-return-probe-") || !strings.Contains(p.Message, "\nSubject: Probe from joe-sos@example.org\n") {
		t.Fatalf("probe %q:\n%s", p.Sender, p.Message)
	}
	pdef := strings.TrimSuffix(strings.TrimPrefix(p.Sender, "joe-sos-return-"), "@example.org")
	// A probe bounce with a changed cookie is trash.
	i := strings.IndexByte(pdef, '.') + 1
	flip := byte('a')
	if pdef[i] == 'a' {
		flip = 'b'
	}
	bad := pdef[:i] + string(flip) + pdef[i+1:]
	if code, _ := l.Run(Return, "ezmlm-return", "x\n", []string{"SENDER=", "DEFAULT=" + bad}, l.Dir); code != 99 {
		t.Errorf("a bad probe cookie was not trash: %q", bad)
	}
	if _, is, _ := db.IsSub("bob@example.com"); !is {
		t.Fatal("removed for a bad cookie")
	}
	if code, _ := l.Run(Return, "ezmlm-return", "x\n", []string{"SENDER=", "DEFAULT=" + pdef}, l.Dir); code != 99 {
		t.Fatal("probe bounce not taken")
	}
	if _, is, _ := db.IsSub("bob@example.com"); is {
		t.Error("still subscribed after the probe bounced")
	}
	if _, is, _ := db.IsSub("ann@example.net"); !is {
		t.Error("ann went too")
	}
	log, _ := os.ReadFile(filepath.Join(l.Dir, "Log"))
	if !strings.HasSuffix(string(log), " -probe bob@example.com\n") {
		t.Errorf("Log %q", log)
	}
}

func TestReturnRefusals(t *testing.T) {
	l := ezmlmtest.New(t, "")
	for _, c := range []struct {
		why, def string
		code     int
		line     string
	}{
		{"nothing after return-", "", 99, "ezmlm-return: info: trash address\n"},
		{"no number", "x-bob=example.com", 100, "ezmlm-return: fatal: Invalid bounce or receipt address format (#5.1.1)\n"},
		{"a probe of a year ago", "probe-1000000000.abcdefghijklmnopabcd-bob=example.com", 99, "ezmlm-return: info: trash address\n"},
		{"a warning with a cookie cut short", "warn-1000000000.abc-bob=example.com", 99, "ezmlm-return: info: trash address\n"},
	} {
		if code, stderr := l.Run(Return, "ezmlm-return", "x\n", []string{"SENDER=", "DEFAULT=" + c.def}, l.Dir); code != c.code || stderr != c.line {
			t.Errorf("%s: exit %d, %q; want %d, %q", c.why, code, stderr, c.code, c.line)
		}
	}
}

func TestWeed(t *testing.T) {
	for _, c := range []struct {
		why, msg string
		weed     bool
	}{
		{"qmail's failure notice", report, false},
		{"a request", "From: a@b\nSubject: subscribe\n\n", false},
		{"list traffic", "List-ID: <x.example.org>\nSubject: x\n\n", true},
		{"bulk", "Precedence: bulk\n\n", true},
		{"an autoresponder", "Auto-Submitted: auto-replied\n\n", true},
		{"qmail's deferral notice", "Subject: deferral notice\n\n", true},
		{"a DSN that delays", "Content-type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nlater\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nAction: delayed\n--B--\n", true},
		{"a DSN that failed", "Content-type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nAction: failed\n--B--\n", false},
		{"sendmail's 4-hour warning", "From: Mail Delivery Subsystem <MAILER-DAEMON@x>\nSubject: Returned mail: warning: cannot send message for 4 hours\n\n" +
			warn1 + "\n" + warn2 + "\n" + warn3 + "\n" + warn1 + "\n", true},
	} {
		if got := weeded(mail.Split([]byte(c.msg))); got != c.weed {
			t.Errorf("%s: weeded = %v", c.why, got)
		}
	}
}
