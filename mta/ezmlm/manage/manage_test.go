package manage

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n%s\nwant:\n%s", name, got, want)
	}
}

const reqMsg = "Received: (qmail 1 invoked by uid 1); 1 Jan 2026 00:00:00 -0000\nFrom: Ann <ann@example.net>\nSubject: hi\n\nplease\n"

func env(def string) []string {
	return []string{"SENDER=ann@example.net", "DEFAULT=" + def, "LOCAL=joe-sos-" + def, "HOST=example.org"}
}

var replyTo = regexp.MustCompile(`(?m)^Reply-To: (.*)$`)

// TestSubscribeConfirmed: a subscription request gets the confirmation
// (golden, the volatile parts masked), its Reply-To confirms, and the
// welcome follows with a List-Unsubscribe field for the address.
func TestSubscribeConfirmed(t *testing.T) {
	l := ezmlmtest.New(t, "")
	code, stderr := l.Run(Main, "ezmlm-manage", reqMsg, env("subscribe"), l.Dir)
	if code != 0 || !strings.HasPrefix(stderr, "ezmlm-manage: info: qp ") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	q := l.One()
	if q.Sender != "joe-sos-return-@example.org" || strings.Join(q.Recips, ",") != "ann@example.net" {
		t.Errorf("envelope %q %q", q.Sender, q.Recips)
	}
	golden(t, "sub-confirm", ezmlmtest.Stable(q.Message))
	m := replyTo.FindStringSubmatch(q.Message)
	if m == nil {
		t.Fatal("no Reply-To")
	}
	conf := strings.TrimSuffix(strings.TrimPrefix(m[1], "joe-sos-"), "@example.org")
	l.Reset()
	code, stderr = l.Run(Main, "ezmlm-manage", "Subject: Re: confirm\n\n", env(conf), l.Dir)
	if code != 0 {
		t.Fatalf("confirmation: exit %d: %s", code, stderr)
	}
	golden(t, "sub-ok", ezmlmtest.Stable(l.One().Message))
	if _, is, _ := (&listdir.DB{Dir: l.Dir}).IsSub("ann@example.net"); !is {
		t.Error("not subscribed after the confirmation")
	}
}

// TestBadCookies: a confirmation with a wrong cookie, one for another
// address, one too old and one from the future each get a new request
// (text/sub-bad), and subscribe no one.
func TestBadCookies(t *testing.T) {
	l := ezmlmtest.New(t, "")
	key, err := os.ReadFile(filepath.Join(l.Dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	mk := func(when int64, addr string) string {
		s := strconv.FormatInt(when, 10)
		return "sc." + s + "." + cookie.Cookie(key, s, addr, 's') + "-ann=example.net"
	}
	good := mk(now-10, "ann@example.net")
	for _, c := range []struct{ why, def string }{
		{"a cookie changed", good[:len(good)-len("-ann=example.net")-1] + "a-ann=example.net"},
		{"the cookie of another address", mk(now-10, "bob@example.net")},
		{"older than 1,000,000 seconds", mk(now-Lifetime-10, "ann@example.net")},
		{"from the future", mk(now+1000, "ann@example.net")},
	} {
		if c.def == good {
			t.Fatalf("%s: the good cookie", c.why)
		}
		l.Reset()
		code, stderr := l.Run(Main, "ezmlm-manage", reqMsg, env(c.def), l.Dir)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", c.why, code, stderr)
			continue
		}
		if m := l.One().Message; !strings.Contains(m, "That confirmation address was not valid") || !strings.Contains(m, "\nSubject: confirm subscribe to joe-sos@example.org\n") {
			t.Errorf("%s: answer\n%s", c.why, m)
		}
		if _, is, _ := (&listdir.DB{Dir: l.Dir}).IsSub("ann@example.net"); is {
			t.Errorf("%s: subscribed", c.why)
		}
	}
	l.Reset()
	if code, _ := l.Run(Main, "ezmlm-manage", reqMsg, env(good), l.Dir); code != 0 {
		t.Fatal("the good cookie failed")
	}
	if _, is, _ := (&listdir.DB{Dir: l.Dir}).IsSub("ann@example.net"); !is {
		t.Error("the good cookie did not subscribe")
	}
}

// TestUnsubscribeConfirmed, for another address than the sender's, and
// the digest list's key (one byte shorter) for its cookie.
func TestUnsubscribeConfirmed(t *testing.T) {
	l := ezmlmtest.New(t, "d")
	db := &listdir.DB{Dir: filepath.Join(l.Dir, "digest")}
	db.Add("bob@example.com", "+", "")
	code, stderr := l.Run(Main, "ezmlm-manage", reqMsg, env("digest-unsubscribe-bob=example.com"), l.Dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	q := l.One()
	if strings.Join(q.Recips, ",") != "bob@example.com" || q.Sender != "joe-sos-digest-return-@example.org" {
		t.Errorf("envelope %q %q", q.Sender, q.Recips)
	}
	golden(t, "digest-unsub-confirm", ezmlmtest.Stable(q.Message))
	m := replyTo.FindStringSubmatch(q.Message)
	def := strings.TrimSuffix(strings.TrimPrefix(m[1], "joe-sos-"), "@example.org")
	key, _ := os.ReadFile(filepath.Join(l.Dir, "key"))
	uc := regexp.MustCompile(`^digest-uc\.(\d+)\.([a-p]{20})-`).FindStringSubmatch(def)
	if uc == nil || uc[2] != cookie.Cookie(key[:len(key)-1], uc[1], "bob@example.com", 'u') {
		t.Errorf("digest cookie %q is not made with the key less a byte", def)
	}
	l.Reset()
	if code, stderr := l.Run(Main, "ezmlm-manage", "Subject: ok\n\n", env(def), l.Dir); code != 0 {
		t.Fatalf("confirmation: exit %d: %s", code, stderr)
	}
	if !strings.Contains(l.One().Message, "\nSubject: GOODBYE from joe-sos@example.org\n") {
		t.Errorf("answer:\n%s", l.One().Message)
	}
	if _, is, _ := db.IsSub("bob@example.com"); is {
		t.Error("still a digest subscriber")
	}
}

// TestRefusals: the requests ezmlm-manage never answers, with their
// one line and exit 100.
func TestRefusals(t *testing.T) {
	l := ezmlmtest.New(t, "P") // not public
	for _, c := range []struct {
		why  string
		env  []string
		line string
	}{
		{"a bounce", []string{"SENDER=", "DEFAULT=subscribe"}, "ezmlm-manage: fatal: I do not reply to bounce messages (#5.7.2)\n"},
		{"the double-bounce sender", []string{"SENDER=#@[]", "DEFAULT=subscribe"}, "ezmlm-manage: fatal: I do not reply to bounce messages (#5.7.2)\n"},
		{"a sender without a host", []string{"SENDER=ann", "DEFAULT=subscribe"}, "ezmlm-manage: fatal: I do not reply to senders without host names (#5.7.2)\n"},
		{"no DEFAULT", []string{"SENDER=a@b"}, "ezmlm-manage: fatal: DEFAULT not set\n"},
		{"not public", []string{"SENDER=a@b", "DEFAULT=subscribe"}, "ezmlm-manage: fatal: Sorry, I've been told to reject all requests (#5.7.2)\n"},
		{"digest without a command", []string{"SENDER=a@b", "DEFAULT=digestx"}, "ezmlm-manage: fatal: I do not understand this address (#5.1.1)\n"},
	} {
		code, stderr := l.Run(Main, "ezmlm-manage", reqMsg, c.env, l.Dir)
		if code != 100 || stderr != c.line {
			t.Errorf("%s: exit %d, %q; want 100, %q", c.why, code, stderr, c.line)
		}
	}
	if len(l.Queued()) != 0 {
		t.Errorf("queued %+v", l.Queued())
	}
	// help is answered on a list that answers nothing else.
	if code, _ := l.Run(Main, "ezmlm-manage", reqMsg, env("help"), l.Dir); code != 0 || !strings.Contains(l.One().Message, "\nFrom: joe-sos-return-@example.org\n") {
		t.Errorf("help: exit %d, %+v", code, l.Queued())
	}
}
