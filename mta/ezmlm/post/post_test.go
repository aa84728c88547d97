package post

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
)

const input = "Received: (qmail 1 invoked from network); 7 May 2017 21:55:22 -0000\n" +
	"Received: from far.example by near.example; 7 May 2017 21:55:20 -0000\n" +
	"Return-Path: <should-go@example.net>\n" +
	"From: Ann Example <ann@example.net>\n" +
	"To: joe-sos@example.org\n" +
	"Subject: Re: The meeting\n" +
	"Precedence: list\n" +
	"\n" +
	"See you there.\n"

func subscribe(t *testing.T, l *ezmlmtest.List, addrs ...string) {
	db := &listdir.DB{Dir: l.Dir}
	for _, a := range addrs {
		if _, err := db.Add(a, "+", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSendBytes compares a post's outgoing copy, its envelope and its
// archived copy with what ezmlm-send makes: the list's fields first,
// headerremove's fields gone (Return-Path, Precedence), the second
// Received field kept in the archive only, the VERP sender.
func TestSendBytes(t *testing.T) {
	l := ezmlmtest.New(t, "")
	subscribe(t, l, "bob@example.com", "Carol@Example.COM")
	code, stderr := l.Run(Main, "ezmlm-send", input, []string{"SENDER=ann@example.net"}, l.Dir)
	if code != 0 || !strings.HasPrefix(stderr, "ezmlm-send: info: qp ") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	q := l.One()
	if q.Sender != "joe-sos-return-1-@example.org-@[]" || strings.Join(q.Recips, " ") != "Carol@example.com bob@example.com" {
		t.Errorf("envelope %q %q", q.Sender, q.Recips)
	}
	want := "Mailing-List: contact joe-sos-help@example.org; run by ezmlm\n" +
		"Precedence: bulk\n" +
		"X-No-Archive: yes\n" +
		"List-Post: <mailto:joe-sos@example.org>\n" +
		"List-Help: <mailto:joe-sos-help@example.org>\n" +
		"List-Unsubscribe: <mailto:joe-sos-unsubscribe@example.org>\n" +
		"List-Subscribe: <mailto:joe-sos-subscribe@example.org>\n" +
		"Delivered-To: mailing list joe-sos@example.org\n" +
		"Received: (qmail 1 invoked from network); 7 May 2017 21:55:22 -0000\n" +
		"From: Ann Example <ann@example.net>\n" +
		"To: joe-sos@example.org\n" +
		"Subject: Re: The meeting\n" +
		"\n" +
		"See you there.\n"
	if q.Message != want {
		t.Errorf("outgoing:\n%s\nwant:\n%s", q.Message, want)
	}
	arch, err := os.ReadFile(filepath.Join(l.Dir, "archive", "0", "01"))
	if err != nil {
		t.Fatal(err)
	}
	wantArch := "Return-Path: <ann@example.net>\n" +
		"Delivered-To: mailing list joe-sos@example.org\n" +
		"Received: (qmail 1 invoked from network); 7 May 2017 21:55:22 -0000\n" +
		"Received: from far.example by near.example; 7 May 2017 21:55:20 -0000\n" +
		"From: Ann Example <ann@example.net>\n" +
		"To: joe-sos@example.org\n" +
		"Subject: Re: The meeting\n" +
		"\n" +
		"See you there.\n"
	if string(arch) != wantArch {
		t.Errorf("archived:\n%s\nwant:\n%s", arch, wantArch)
	}
	if st, _ := os.Stat(filepath.Join(l.Dir, "archive", "0", "01")); st.Mode().Perm() != 0o744 {
		t.Errorf("archive mode %v", st.Mode())
	}
	if b, _ := os.ReadFile(filepath.Join(l.Dir, "num")); string(b) != "1:0\n" { // 15 bytes of body: (15+128)>>8 units of 256
		t.Errorf("num %q", b)
	}
	idx, _ := os.ReadFile(filepath.Join(l.Dir, "archive", "0", "index"))
	if !strings.HasPrefix(string(idx), "1: ") || !strings.Contains(string(idx), " Re: The meeting\n\t7 May 2017 21:55:22 -0000;") || !strings.HasSuffix(string(idx), " Ann Example\n") {
		t.Errorf("index %q", idx)
	}
}

// TestPrefix: the subject gets the prefix (with the number for '#'),
// not twice, and the archive keeps the subject as it came.
func TestPrefix(t *testing.T) {
	for _, c := range []struct{ prefix, subject, want string }{
		{"[sos]", "Hello", "Subject: [sos] Hello\n"},
		{"[sos]", "Re: [sos] Hello", "Subject: Re: [sos] Hello\n"},
		{"[sos #]", "Hello", "Subject: [sos 1] Hello\n"},
	} {
		l := ezmlmtest.New(t, "")
		os.WriteFile(filepath.Join(l.Dir, "prefix"), []byte(c.prefix+"\n"), 0o644)
		subscribe(t, l, "bob@example.com")
		if code, stderr := l.Run(Main, "ezmlm-send", "Subject: "+c.subject+"\n\nbody\n", []string{"SENDER=ann@example.net"}, l.Dir); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if m := l.One().Message; !strings.Contains(m, "\n"+c.want) {
			t.Errorf("prefix %q, subject %q: got\n%s", c.prefix, c.subject, m)
		}
		if arch, _ := os.ReadFile(filepath.Join(l.Dir, "archive", "0", "01")); !strings.Contains(string(arch), "\nSubject: "+c.subject+"\n") {
			t.Errorf("archived subject changed:\n%s", arch)
		}
	}
}

// TestRefusals: what ezmlm-send sends back (exit 100) or retries (111),
// with its one line, and num left alone.
func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		why, msg, sender string
		queueCode        int
		code             int
		line             string
	}{
		{"a bounce", "Subject: x\n\nbody\n", "SENDER=", 0, 100, "ezmlm-send: fatal: I do not distribute bounce messages (#5.7.2)\n"},
		{"a double bounce", "Subject: x\n\nbody\n", "SENDER=#@[]", 0, 100, "ezmlm-send: fatal: I do not distribute bounce messages (#5.7.2)\n"},
		{"another list's post", "Mailing-List: contact other-help@example.net\nSubject: x\n\nbody\n", "SENDER=a@b", 0, 100, "ezmlm-send: fatal: message already has a Mailing-List header (maybe I should be a sublist) (#5.7.2)\n"},
		{"a loop", "Delivered-To: mailing list joe-sos@example.org\nSubject: x\n\nbody\n", "SENDER=a@b", 0, 100, "ezmlm-send: fatal: this message is looping: it already has my Delivered-To line (#5.4.6)\n"},
		{"qmail-queue refuses for now", "Subject: x\n\nbody\n", "SENDER=a@b", 71, 111, "ezmlm-send: fatal: temporary qmail-queue error: mail server temporarily rejected message (#4.3.0)\n"},
		{"qmail-queue refuses for good", "Subject: x\n\nbody\n", "SENDER=a@b", 31, 111, "ezmlm-send: fatal: temporary qmail-queue error: mail server permanently rejected message (#5.3.0)\n"},
	} {
		l := ezmlmtest.New(t, "")
		if c.queueCode != 0 {
			l.Queue.SetCode(t, c.queueCode)
		}
		code, stderr := l.Run(Main, "ezmlm-send", c.msg, []string{c.sender}, l.Dir)
		if code != c.code || stderr != c.line {
			t.Errorf("%s: exit %d, %q; want %d, %q", c.why, code, stderr, c.code, c.line)
		}
		if b, _ := os.ReadFile(filepath.Join(l.Dir, "num")); len(b) != 0 && string(b) != "0:0\n" {
			t.Errorf("%s: num %q", c.why, b)
		}
	}
}

func TestUsage(t *testing.T) {
	l := ezmlmtest.New(t, "")
	if code, stderr := l.Run(Main, "ezmlm-send", "", nil); code != 100 || stderr != "ezmlm-send: usage: ezmlm-send [-cClLqQrR] [-h header] [-s lo:hi] dir\n" {
		t.Errorf("no dir: exit %d, %q", code, stderr)
	}
	if code, stderr := l.Run(Main, "ezmlm-send", "x\n", []string{"SENDER=a@b"}, filepath.Join(l.Dir, "nothere")); code != 111 || !strings.Contains(stderr, "unable to read") {
		t.Errorf("no list: exit %d, %q", code, stderr)
	}
}
