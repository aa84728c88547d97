package digest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/post"
)

// posted makes a list with two archived posts and a digest subscriber.
func posted(t *testing.T) *ezmlmtest.List {
	l := ezmlmtest.New(t, "d")
	(&listdir.DB{Dir: filepath.Join(l.Dir, "digest")}).Add("dig@example.net", "+", "")
	for _, m := range []string{
		"Received: (qmail 1 invoked by uid 1); 7 May 2017 21:55:22 -0000\nFrom: Ann <ann@example.net>\nSubject: first\nX-Secret: not in digests\n\none\n",
		"Received: (qmail 2 invoked by uid 1); 8 May 2017 10:00:00 -0000\nFrom: Bob <bob@example.com>\nSubject: Re: first\n\ntwo\n",
	} {
		if code, stderr := l.Run(post.Main, "ezmlm-send", m, []string{"SENDER=x@example.net"}, l.Dir); code != 0 {
			t.Fatalf("ezmlm-send: %d %s", code, stderr)
		}
	}
	l.Reset()
	return l
}

// TestDigestByHand: ezmlm-get run by hand sends the digest of messages
// 1 and 2 to the digest subscribers with its VERP sender, and records
// it in digissue and dignum; run again, it finds nothing to do.
func TestDigestByHand(t *testing.T) {
	l := posted(t)
	code, stderr := l.Run(Get, "ezmlm-get", "", nil, l.Dir)
	if code != 0 || !strings.HasPrefix(stderr, "ezmlm-get: info: qp ") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	d := l.One()
	if d.Sender != "joe-sos-digest-return-1-@example.org-@[]" || strings.Join(d.Recips, ",") != "dig@example.net" {
		t.Errorf("envelope %q %q", d.Sender, d.Recips)
	}
	for _, w := range []string{
		"\nFrom: joe-sos-digest-help@example.org\n",
		"\nTo: joe-sos@example.org\n",
		"\nContent-Type: multipart/digest; boundary=",
		"\nSubject: joe-sos Digest ",
		" Issue 1\n",
		"Topics (messages 1 through 2)\n\nfirst\n\t1 by: Ann\n\t2 by: Bob\n",
		"\nAdministrivia:\n",
		"Content-Disposition: inline; filename=\"joe-sos_1.eml\"\n\nFrom: Ann <ann@example.net>\nSubject: first\n\none\n",
		"\n\n--" + "", // the parts are separated
		"filename=\"joe-sos_2.eml\"",
	} {
		if !strings.Contains(d.Message, w) {
			t.Errorf("digest lacks %q:\n%s", w, d.Message)
		}
	}
	if strings.Contains(d.Message, "X-Secret") {
		t.Error("a field outside digheaders went into the digest")
	}
	if b, _ := os.ReadFile(filepath.Join(l.Dir, "digissue")); string(b) != "1:0\n" {
		t.Errorf("digissue %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(l.Dir, "dignum")); !strings.HasPrefix(string(b), "2:0:") {
		t.Errorf("dignum %q", b)
	}
	l.Reset()
	if code, stderr := l.Run(Get, "ezmlm-get", "", nil, l.Dir); code != 0 || stderr != "ezmlm-get: info: nothing to digest\n" || len(l.Queued()) != 0 {
		t.Errorf("again: exit %d, %q", code, stderr)
	}
}

// TestManagerRequests: in the manager, get and index are answered (exit
// 99), dig. needs the code, and anything else is left to ezmlm-manage
// (exit 0, nothing sent).
func TestManagerRequests(t *testing.T) {
	l := posted(t)
	envFor := func(def string) []string {
		return []string{"SENDER=ann@example.net", "LOCAL=joe-sos-" + def, "DEFAULT=" + def}
	}
	req := "Subject: x\n\n"
	if code, _ := l.Run(Get, "ezmlm-get", req, envFor("get.2"), l.Dir); code != 99 {
		t.Fatalf("get.2: exit %d", code)
	}
	g := l.One()
	if strings.Join(g.Recips, ",") != "ann@example.net" || g.Sender != "joe-sos-return-@example.org" || !strings.Contains(g.Message, "\nSubject: ezmlm archive retrieval: get.2\n") ||
		!strings.Contains(g.Message, "\ntwo\n") || strings.Contains(g.Message, "\none\n") {
		t.Errorf("get.2 %q %q:\n%s", g.Sender, g.Recips, g.Message)
	}
	l.Reset()
	if code, _ := l.Run(Get, "ezmlm-get", req, envFor("index"), l.Dir); code != 99 {
		t.Fatal("index not answered")
	}
	if m := l.One().Message; !strings.Contains(m, "\n\n1: first\n\t7 May 2017 Ann\n2: Re: first\n\t8 May 2017 Bob\n\n--- Commands") {
		t.Errorf("index:\n%s", m)
	}
	l.Reset()
	if code, stderr := l.Run(Get, "ezmlm-get", req, envFor("dig.wrong"), l.Dir); code != 100 || stderr != "ezmlm-get: fatal: incorrect digest code (#5.7.1)\n" {
		t.Errorf("a wrong code: %d %q", code, stderr)
	}
	if code, _ := l.Run(Get, "ezmlm-get", req, envFor("dig.CODE"), l.Dir); code != 99 || len(l.Queued()) != 1 {
		t.Errorf("dig.CODE (any case): exit %d, %d queued", code, len(l.Queued()))
	}
	l.Reset()
	for _, def := range []string{"subscribe", "help", ""} {
		if code, stderr := l.Run(Get, "ezmlm-get", req, envFor(def), l.Dir); code != 0 || stderr != "" {
			t.Errorf("%q: exit %d, %q", def, code, stderr)
		}
	}
	if len(l.Queued()) != 0 {
		t.Errorf("sent %+v", l.Queued())
	}
}

func TestTstDig(t *testing.T) {
	l := posted(t)
	for _, c := range []struct {
		why  string
		args []string
		env  []string
		code int
	}{
		{"two messages, -m2", []string{"-m2", "-k0", "-t0"}, nil, 0},
		{"two messages, -m3", []string{"-m3", "-k0", "-t0"}, nil, 99},
		{"no digest yet: the time test says due", []string{"-m30", "-k64", "-t48"}, nil, 0},
		{"every test off", []string{"-m0", "-k0", "-t0"}, nil, 99},
		{"in the manager, not a dig request", []string{"-m30"}, []string{"LOCAL=joe-sos-help", "DEFAULT=help"}, 0},
	} {
		if code, stderr := l.Run(TstDig, "ezmlm-tstdig", "", c.env, append(c.args, l.Dir)...); code != c.code {
			t.Errorf("%s: exit %d (%q), want %d", c.why, code, stderr, c.code)
		}
	}
	// In the editor, one digest an hour at most.
	editor := []string{"LOCAL=joe-sos", "SENDER=a@b"}
	if code, _ := l.Run(TstDig, "ezmlm-tstdig", "", editor, "-m1", "-k0", "-t0", l.Dir); code != 0 {
		t.Fatal("first test in the editor")
	}
	if code, _ := l.Run(TstDig, "ezmlm-tstdig", "", editor, "-m1", "-k0", "-t0", l.Dir); code != 99 {
		t.Error("a second digest within the hour")
	}
	if code, stderr := l.Run(TstDig, "ezmlm-tstdig", "", nil, l.Dir, "extra"); code != 100 || stderr != "ezmlm-tstdig: usage: ezmlm-tstdig [-k kbytes] [-m messages] [-t hours] dir\n" {
		t.Errorf("usage: %d %q", code, stderr)
	}
}
