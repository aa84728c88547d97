package moderate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
)

const postMsg = "From: Bob <bob@example.com>\nTo: joe-sos@example.org\nSubject: for the list\n\nsome text\n"

var (
	fromRx    = regexp.MustCompile(`(?m)^From: (.*)$`)
	replyToRx = regexp.MustCompile(`(?m)^Reply-To: (.*)$`)
)

func setup(t *testing.T) *ezmlmtest.List {
	l := ezmlmtest.New(t, "m")
	(&listdir.DB{Dir: l.Dir}).Add("ann@example.net", "+", "")
	(&listdir.DB{Dir: filepath.Join(l.Dir, "mod")}).Add("mod@example.org", "+", "")
	return l
}

// local is $LOCAL and $DEFAULT for a message to a moderation address.
func local(addr string) []string {
	loc := strings.TrimSuffix(addr, "@example.org")
	_, def, _ := strings.Cut(strings.TrimPrefix(loc, "joe-sos-"), "-")
	return []string{"SENDER=mod@example.org", "LOCAL=" + loc, "DEFAULT=" + def}
}

// TestStoreAccept: the post waits in mod/pending and the moderators get
// the request (golden); replying to the accept address posts it with
// its sender, and a second accept is a no-op.
func TestStoreAccept(t *testing.T) {
	l := setup(t)
	code, stderr := l.Run(Store, "ezmlm-store", postMsg, []string{"SENDER=bob@example.com"}, l.Dir)
	if code != 0 || !strings.HasPrefix(stderr, "ezmlm-store: info: qp ") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	req := l.One()
	if req.Sender != "joe-sos-return-@example.org" || strings.Join(req.Recips, ",") != "mod@example.org" {
		t.Errorf("envelope %q %q", req.Sender, req.Recips)
	}
	pending, _ := filepath.Glob(filepath.Join(l.Dir, "mod", "pending", "*"))
	if len(pending) != 1 {
		t.Fatalf("pending %v", pending)
	}
	stored, _ := os.ReadFile(pending[0])
	if want := "Return-Path: <bob@example.com>\nDelivered-To: moderator for joe-sos@example.org\n" + postMsg; string(stored) != want {
		t.Errorf("stored:\n%s\nwant:\n%s", stored, want)
	}
	if st, _ := os.Stat(pending[0]); st.Mode().Perm() != 0o700 {
		t.Errorf("stored mode %v", st.Mode())
	}
	boundary := regexp.MustCompile(`boundary=([a-p]{20})`).FindStringSubmatch(req.Message)
	if boundary == nil {
		t.Fatalf("no boundary:\n%s", req.Message)
	}
	got := strings.ReplaceAll(ezmlmtest.Stable(req.Message), "boundary="+"COOKIE", "boundary=BOUNDARY")
	got = strings.ReplaceAll(got, "--COOKIE", "--BOUNDARY")
	want := "Mailing-List: contact joe-sos-help@example.org; run by ezmlm\n" +
		"Date: DATE\n" +
		"Message-ID: <TIME.PID.ezmlm@example.org>\n" +
		"From: joe-sos-reject-TIME.PID.COOKIE@example.org\n" +
		"Reply-To: joe-sos-accept-TIME.PID.COOKIE@example.org\n" +
		"To: <joe-sos-moderators@example.org>\n" +
		"Subject: MODERATE for joe-sos@example.org\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=BOUNDARY\n" +
		"\n\n--BOUNDARY\n" +
		"Content-Type: text/plain; charset=us-ascii\n" +
		"\n" +
		"A message to the joe-sos list waits for moderation. To post it,\n" +
		"send a message to:\n" +
		"\n" +
		"   joe-sos-accept-TIME.PID.COOKIE@example.org\n" +
		"\n" +
		"or reply to this message. To return it to its sender, send a\n" +
		"message to:\n" +
		"\n" +
		"   joe-sos-reject-TIME.PID.COOKIE@example.org\n" +
		"\n" +
		"Text between two lines starting with %%% in that message is\n" +
		"sent to the sender as the reason.\n" +
		"\n" +
		"--- The message:\n" +
		"\n" +
		"\n\n--BOUNDARY\n" +
		"Content-Type: message/rfc822\n" +
		"\n" +
		"Return-Path: <bob@example.com>\n" +
		"Delivered-To: moderator for joe-sos@example.org\n" +
		"From: Bob <bob@example.com>\n" +
		"To: joe-sos@example.org\n" +
		"Subject: for the list\n" +
		"\n" +
		"some text\n" +
		"\n\n--BOUNDARY--\n"
	if got != want {
		t.Errorf("moderation request:\n%s\nwant:\n%s", got, want)
	}
	accept := replyToRx.FindStringSubmatch(req.Message)[1]
	l.Reset()
	code, stderr = l.Run(Moderate, "ezmlm-moderate", "Subject: ok\n\n", local(accept), l.Dir)
	if code != 0 {
		t.Fatalf("accept: exit %d, %q", code, stderr)
	}
	sent := l.One()
	if sent.Sender != "joe-sos-return-1-@example.org-@[]" || strings.Join(sent.Recips, ",") != "ann@example.net" || !strings.Contains(sent.Message, "\nSubject: for the list\n") {
		t.Errorf("accepted post %q %q:\n%s", sent.Sender, sent.Recips, sent.Message)
	}
	if arch, _ := os.ReadFile(filepath.Join(l.Dir, "archive", "0", "01")); !strings.HasPrefix(string(arch), "Return-Path: <bob@example.com>\n") {
		t.Errorf("archived with the wrong sender:\n%s", arch)
	}
	if p, _ := filepath.Glob(filepath.Join(l.Dir, "mod", "pending", "*")); len(p) != 0 {
		t.Errorf("still pending: %v", p)
	}
	l.Reset()
	if code, stderr := l.Run(Moderate, "ezmlm-moderate", "x\n", local(accept), l.Dir); code != 0 || stderr != "ezmlm-moderate: info: I'm sorry, I've already accepted this message\n" || len(l.Queued()) != 0 {
		t.Errorf("second accept: exit %d, %q, %d queued", code, stderr, len(l.Queued()))
	}
	reject := fromRx.FindStringSubmatch(req.Message)[1]
	if code, stderr := l.Run(Moderate, "ezmlm-moderate", "x\n", local(reject), l.Dir); code != 100 || stderr != "ezmlm-moderate: fatal: I'm sorry, I've already accepted this message\n" {
		t.Errorf("reject after accept: exit %d, %q", code, stderr)
	}
}

// TestReject: the post goes back to its sender with the comment.
func TestReject(t *testing.T) {
	l := setup(t)
	l.Run(Store, "ezmlm-store", postMsg, []string{"SENDER=bob@example.com"}, l.Dir)
	reject := fromRx.FindStringSubmatch(l.One().Message)[1]
	l.Reset()
	code, stderr := l.Run(Moderate, "ezmlm-moderate", "Subject: no\n\n> %%%\n> Off topic,\n> sorry.\n> %%%\n", local(reject), l.Dir)
	if code != 0 {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	back := l.One()
	if back.Sender != "joe-sos-return-@example.org" || strings.Join(back.Recips, ",") != "bob@example.com" {
		t.Errorf("envelope %q %q", back.Sender, back.Recips)
	}
	for _, w := range []string{"\nFrom: joe-sos-owner@example.org\n", "\nTo: bob@example.com\n", "\nSubject: Returned post for joe-sos@example.org\n",
		"\n>>>>> -------------------- >>>>>\nOff topic,\nsorry.\n<<<<< -------------------- <<<<<\n", "\nsome text\n"} {
		if !strings.Contains(back.Message, w) {
			t.Errorf("returned post lacks %q:\n%s", w, back.Message)
		}
	}
	if r, _ := filepath.Glob(filepath.Join(l.Dir, "mod", "rejected", "*")); len(r) != 1 {
		t.Errorf("rejected/: %v", r)
	}
}

func TestModerateRefusals(t *testing.T) {
	l := setup(t)
	l.Run(Store, "ezmlm-store", postMsg, []string{"SENDER=bob@example.com"}, l.Dir)
	accept := replyToRx.FindStringSubmatch(l.One().Message)[1]
	badCookie := accept[:len(accept)-len("@example.org")-1] + "z@example.org"
	key, _ := os.ReadFile(filepath.Join(l.Dir, "key"))
	gone := "joe-sos-accept-1.1." + cookie.Cookie(key, "1.1", "", 'a') + "@example.org"
	for _, c := range []struct {
		why  string
		env  []string
		line string
	}{
		{"a wrong cookie", local(badCookie), "ezmlm-moderate: fatal: Illegal request format (#5.7.1)\n"},
		{"another post's name under this cookie", local(strings.Replace(accept, "-accept-", "-accept-1", 1)), "ezmlm-moderate: fatal: Illegal request format (#5.7.1)\n"},
		{"a post that is gone", local(gone), "ezmlm-moderate: fatal: I'm sorry, I no longer have this message\n"},
		{"a bounce", append(local(accept), "SENDER="), "ezmlm-moderate: fatal: I do not reply to bounce messages (#5.7.2)\n"},
	} {
		if code, stderr := l.Run(Moderate, "ezmlm-moderate", "x\n", c.env, l.Dir); code != 100 || stderr != c.line {
			t.Errorf("%s: exit %d, %q; want 100, %q", c.why, code, stderr, c.line)
		}
	}
}

func TestComment(t *testing.T) {
	for _, c := range []struct {
		why, body, want string
		ok              bool
	}{
		{"quoted", "> %%%\n> a\n> b\n> %%%\n", "a\nb\n", true},
		{"plain", "%%% start\nreason\n%%% end\n", "reason\n", true},
		{"CRLF", "%%%\r\nreason\r\n%%%\r\n", "reason\n", true},
		{"no end", "%%%\nreason\n", "", false},
		{"nothing between", "%%%\n%%%\n", "", false},
		{"the mark too far in", "123456%%%\nx\n123456%%%\n", "", false},
	} {
		got, ok := Comment([]byte(c.body))
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Comment = %q, %v; want %q, %v", c.why, got, ok, c.want, c.ok)
		}
	}
}

// TestClean: a pending post older than modtime's hours goes back to its
// sender; a newer one stays; an old decision stub goes.
func TestClean(t *testing.T) {
	l := setup(t)
	os.WriteFile(filepath.Join(l.Dir, "modtime"), []byte("24\n"), 0o644)
	old := filepath.Join(l.Dir, "mod", "pending", "1000000000.1")
	os.WriteFile(old, []byte("Return-Path: <bob@example.com>\nDelivered-To: moderator for joe-sos@example.org\n"+postMsg), 0o700)
	recent := filepath.Join(l.Dir, "mod", "pending", "4000000000.1")
	os.WriteFile(recent, []byte("Return-Path: <ann@example.net>\n\nx\n"), 0o700)
	stub := filepath.Join(l.Dir, "mod", "accepted", "1000000000.2")
	os.WriteFile(stub, nil, 0o600)
	if code, stderr := l.Run(Clean, "ezmlm-clean", "", nil, l.Dir); code != 0 {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	q := l.One()
	if strings.Join(q.Recips, ",") != "bob@example.com" || !strings.Contains(q.Message, "\nSubject: Returned post for joe-sos@example.org\n") || !strings.Contains(q.Message, "was not moderated in time") {
		t.Errorf("notice %q:\n%s", q.Recips, q.Message)
	}
	for _, c := range []struct {
		p    string
		gone bool
	}{{old, true}, {recent, false}, {stub, true}} {
		if _, err := os.Stat(c.p); os.IsNotExist(err) != c.gone {
			t.Errorf("%s: gone %v, want %v", c.p, os.IsNotExist(err), c.gone)
		}
	}
}
