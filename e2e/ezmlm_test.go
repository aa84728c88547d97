package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/maildir"
)

// ezmlmPrograms are the list's programs, built together so that the
// .qmail lines ezmlm-make writes (in the directory of ezmlm-make) find
// them all.
var ezmlmPrograms = []string{"ezmlm-make", "ezmlm-send", "ezmlm-reject", "ezmlm-manage", "ezmlm-return",
	"ezmlm-warn", "ezmlm-weed", "ezmlm-sub", "ezmlm-unsub", "ezmlm-list", "ezmlm-issubn", "ezmlm-store",
	"ezmlm-moderate", "ezmlm-clean", "ezmlm-get", "ezmlm-tstdig"}

// listInstance is an instance with local mailboxes demo-NAME@mx.test
// (each the Maildir ~demo/NAME/) and the remote host far.test behind a
// recording SMTP sink that refuses refuse*@far.test with 550.
type listInstance struct {
	*instance
	home string // ~demo
	sink *testbin.SMTPSink
}

func newListInstance(t *testing.T, boxes ...string) *listInstance {
	in := makeInstance(t)
	li := &listInstance{instance: in, home: filepath.Dir(in.Maildir), sink: testbin.StartSMTPSink(t)}
	for _, p := range ezmlmPrograms {
		testbin.Path(t, p)
	}
	if err := os.WriteFile(filepath.Join(in.Home, "control", "smtproutes"), []byte("far.test:127.0.0.1:"+li.sink.Port()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if err := maildir.Create(filepath.Join(li.home, b)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(li.home, ".qmail-"+b), []byte("./"+b+"/\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	in.startSend("./Maildir/")
	return li
}

// run runs one of the ezmlm programs as the list's owner would.
func (li *listInstance) run(prog string, args ...string) string {
	li.t.Helper()
	cmd := exec.Command(testbin.Path(li.t, prog), args...)
	cmd.Env = li.Env
	out, errout, code := testbin.Run(li.t, cmd)
	if code != 0 {
		li.t.Fatalf("%s %v: exit %d: %s%s", prog, args, code, out, errout)
	}
	return out
}

// mail injects a message from sender to recipient through sendmail.
func (li *listInstance) mail(sender, recipient, msg string) {
	li.t.Helper()
	cmd := exec.Command(filepath.Join(li.Bin, "sendmail"), "-f", sender, recipient)
	cmd.Env = li.Env
	cmd.Stdin = strings.NewReader(msg)
	if out, errout, code := testbin.Run(li.t, cmd); code != 0 {
		li.t.Fatalf("sendmail -f %s %s: exit %d: %s%s", sender, recipient, code, out, errout)
	}
}

// box returns the messages of ~demo/NAME, oldest first.
func (li *listInstance) box(name string) []string {
	var out []string
	for _, sub := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(li.home, name, sub))
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(li.home, name, sub, e.Name()))
			if err == nil {
				out = append(out, e.Name()+"\x00"+string(b))
			}
		}
	}
	sort.Strings(out)
	for i, m := range out {
		out[i] = m[strings.IndexByte(m, 0)+1:]
	}
	return out
}

// await waits for a message in box NAME that contains every want.
func (li *listInstance) await(name string, want ...string) string {
	li.t.Helper()
	var found string
	ok := testbin.Eventually(30*time.Second, func() bool {
	next:
		for _, m := range li.box(name) {
			for _, w := range want {
				if !strings.Contains(m, w) {
					continue next
				}
			}
			found = m
			return true
		}
		return false
	})
	if !ok {
		li.t.Fatalf("no message with %q in %s; it has:\n%s\nqmail-send log:\n%s", want, name, strings.Join(li.box(name), "\n=====\n"), li.log.String())
	}
	return found
}

func field(t *testing.T, msg, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + `: (.*)$`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no %s field in:\n%s", name, msg)
	}
	return m[1]
}

func (li *listInstance) subscribers(dir string, sub ...string) []string {
	out := strings.TrimSpace(li.run("ezmlm-list", append([]string{dir}, sub...)...))
	if out == "" {
		return nil
	}
	s := strings.Split(out, "\n")
	sort.Strings(s)
	return s
}

// TestEzmlmListLife runs a list's whole life through the real programs
// and a running instance: ezmlm-make, subscription confirmed by a reply
// to the cookie address, posts to local and remote subscribers with the
// list's header fields and VERP senders, the archive and -get, a
// remote subscriber whose host answers 550 warned, probed and removed,
// a digest, and unsubscription confirmed the same way; every message
// is read in the subscribers' Maildirs.
func TestEzmlmListLife(t *testing.T) {
	li := newListInstance(t, "alice", "bob", "carol")
	dir := filepath.Join(li.home, "list")
	li.run("ezmlm-make", "-d", "-4", "-t0 -k0 -m2", dir, filepath.Join(li.home, ".qmail-list"), "demo-list", "mx.test", "secret")

	// Subscription with confirmation: the request, the cookie address in
	// Reply-To, the reply to it, the welcome.
	for _, who := range []string{"alice", "bob"} {
		addr := "demo-" + who + "@mx.test"
		li.mail(addr, "demo-list-subscribe@mx.test", "From: "+addr+"\nSubject: hi\n\nplease\n")
		conf := li.await(who, "Subject: confirm subscribe to demo-list@mx.test")
		reply := field(t, conf, "Reply-To")
		if !regexp.MustCompile(`^demo-list-sc\.\d+\.[a-p]{20}-demo-` + who + `=mx\.test@mx\.test$`).MatchString(reply) {
			t.Fatalf("confirmation address %q", reply)
		}
		if got := field(t, conf, "From"); got != "demo-list-help@mx.test" {
			t.Errorf("confirmation From %q", got)
		}
		li.mail(addr, reply, "From: "+addr+"\nSubject: Re: confirm\n\n")
		welcome := li.await(who, "Subject: WELCOME to demo-list@mx.test")
		if got := field(t, welcome, "List-Unsubscribe"); got != "<mailto:demo-list-unsubscribe-demo-"+who+"=mx.test@mx.test>" {
			t.Errorf("welcome List-Unsubscribe %q", got)
		}
	}
	li.run("ezmlm-sub", dir, "ok@far.test", "refuse@far.test")
	li.run("ezmlm-sub", dir, "digest", "demo-carol@mx.test")
	if got, want := strings.Join(li.subscribers(dir), " "), "demo-alice@mx.test demo-bob@mx.test ok@far.test refuse@far.test"; got != want {
		t.Fatalf("subscribers %q, want %q", got, want)
	}

	// A post reaches every subscriber with the list's fields; each copy
	// has its own VERP return path.
	li.mail("demo-bob@mx.test", "demo-list@mx.test", "From: Bob <demo-bob@mx.test>\nTo: demo-list@mx.test\nSubject: first post\n\nhello list\n")
	for _, who := range []string{"alice", "bob"} {
		m := li.await(who, "Subject: first post")
		for _, w := range []string{
			"Return-Path: <demo-list-return-1-demo-" + who + "=mx.test@mx.test>\n",
			"\nMailing-List: contact demo-list-help@mx.test; run by ezmlm\n",
			"\nList-Post: <mailto:demo-list@mx.test>\n",
			"\nList-Help: <mailto:demo-list-help@mx.test>\n",
			"\nList-Unsubscribe: <mailto:demo-list-unsubscribe@mx.test>\n",
			"\nPrecedence: bulk\n",
			"\nDelivered-To: mailing list demo-list@mx.test\n",
			"\n\nhello list\n",
		} {
			if !strings.Contains(m, w) {
				t.Errorf("%s's copy lacks %q:\n%s", who, w, m)
			}
		}
	}
	if !testbin.Eventually(30*time.Second, func() bool { return len(li.sink.Envelopes()) >= 1 }) {
		t.Fatal("far.test got nothing")
	}
	if e := li.sink.Envelopes()[0]; e.From != "demo-list-return-1-ok=far.test@mx.test" || strings.Join(e.To, ",") != "ok@far.test" {
		t.Errorf("far.test got %+v", e)
	}
	arch, err := os.Stat(filepath.Join(dir, "archive", "0", "01"))
	if err != nil || arch.Mode().Perm() != 0o744 {
		t.Fatalf("archive/0/01: %v %v", arch, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "num")); !strings.HasPrefix(string(b), "1:") {
		t.Errorf("num %q", b)
	}

	// refuse@far.test's host refused the post: qmail-send's bounce to
	// demo-list-return-1-@mx.test is recorded for that address.
	hashFile := func() []string { m, _ := filepath.Glob(filepath.Join(dir, "bounce", "h", "*", "h*")); return m }
	if !testbin.Eventually(30*time.Second, func() bool { return len(hashFile()) == 1 }) {
		t.Fatalf("no bounce recorded; qmail-send log:\n%s", li.log.String())
	}
	if b, _ := os.ReadFile(hashFile()[0]); string(b) != "   1\n" {
		t.Errorf("bounced message numbers %q", b)
	}

	// Archive retrieval.
	li.mail("demo-alice@mx.test", "demo-list-get.1@mx.test", "From: demo-alice@mx.test\nSubject: get\n\n")
	got := li.await("alice", "Subject: ezmlm archive retrieval: get.1")
	if !strings.Contains(got, "Content-Type: multipart/digest;") || !strings.Contains(got, "\nSubject: first post\n") || !strings.Contains(got, "hello list") {
		t.Errorf("get.1 answer:\n%s", got)
	}

	// The bounce cycle, with ezmlm-warn's timeout at 0 days: a warning
	// that bounces, then a probe that bounces, then the address is gone.
	li.run("ezmlm-warn", "-t0", dir)
	warned := func() []string { m, _ := filepath.Glob(filepath.Join(dir, "bounce", "d", "*", "w*")); return m }
	if !testbin.Eventually(30*time.Second, func() bool { return len(warned()) == 1 }) {
		t.Fatalf("the bounced warning was not recorded; qmail-send log:\n%s", li.log.String())
	}
	if b, _ := os.ReadFile(warned()[0]); !strings.HasPrefix(string(b), "refuse@far.test\x00") || !strings.Contains(string(b), "Subject: Warning from demo-list@mx.test") {
		t.Errorf("bounced warning:\n%s", b)
	}
	li.run("ezmlm-warn", "-t0", dir)
	if !testbin.Eventually(30*time.Second, func() bool {
		return strings.Join(li.subscribers(dir), " ") == "demo-alice@mx.test demo-bob@mx.test ok@far.test"
	}) {
		t.Fatalf("refuse@far.test not removed: %v; qmail-send log:\n%s", li.subscribers(dir), li.log.String())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "Log")); !regexp.MustCompile(`(?m)^\d+ -probe refuse@far.test$`).Match(b) {
		t.Errorf("Log:\n%s", b)
	}

	// A digest after two more posts (-m2), to carol.
	li.mail("demo-alice@mx.test", "demo-list@mx.test", "From: demo-alice@mx.test\nTo: demo-list@mx.test\nSubject: second\n\ntwo\n")
	li.mail("demo-bob@mx.test", "demo-list@mx.test", "From: demo-bob@mx.test\nCc: demo-list@mx.test\nSubject: third\n\nthree\n")
	dig := li.await("carol", "Subject: demo-list Digest ", "Issue 1")
	for _, w := range []string{"Content-Type: multipart/digest;", "Topics (messages 1 through 3)", "\nfirst post\n\t1 by: Bob\n", "\nSubject: second\n", "three\n", "Return-Path: <demo-list-digest-return-1-demo-carol=mx.test@mx.test>\n"} {
		if !strings.Contains(dig, w) {
			t.Errorf("digest lacks %q:\n%s", w, dig)
		}
	}

	// Unsubscription, confirmed the same way.
	li.mail("demo-alice@mx.test", "demo-list-unsubscribe@mx.test", "From: demo-alice@mx.test\nSubject: bye\n\n")
	conf := li.await("alice", "Subject: confirm unsubscribe from demo-list@mx.test")
	li.mail("demo-alice@mx.test", field(t, conf, "Reply-To"), "Subject: yes\n\n")
	li.await("alice", "Subject: GOODBYE from demo-list@mx.test")
	if got := strings.Join(li.subscribers(dir), " "); got != "demo-bob@mx.test ok@far.test" {
		t.Errorf("subscribers after unsubscription %q", got)
	}
}

// TestEzmlmModeration: a message-moderated list (ezmlm-make -m): a post
// waits in mod/pending and the moderator is asked; replying to the
// accept address posts it, a reject with a comment between %%% lines
// returns the post to its sender with the comment.
func TestEzmlmModeration(t *testing.T) {
	li := newListInstance(t, "alice", "bob", "mod")
	dir := filepath.Join(li.home, "mlist")
	li.run("ezmlm-make", "-m", dir, filepath.Join(li.home, ".qmail-mlist"), "demo-mlist", "mx.test")
	li.run("ezmlm-sub", dir, "demo-alice@mx.test")
	li.run("ezmlm-sub", dir, "mod", "demo-mod@mx.test")

	li.mail("demo-bob@mx.test", "demo-mlist@mx.test", "From: demo-bob@mx.test\nTo: demo-mlist@mx.test\nSubject: please post\n\nworth reading\n")
	req := li.await("mod", "Subject: MODERATE for demo-mlist@mx.test", "please post")
	accept := field(t, req, "Reply-To")
	reject := field(t, req, "From")
	if !regexp.MustCompile(`^demo-mlist-accept-\d+\.\d+\.[a-p]{20}@mx\.test$`).MatchString(accept) ||
		!regexp.MustCompile(`^demo-mlist-reject-\d+\.\d+\.[a-p]{20}@mx\.test$`).MatchString(reject) {
		t.Fatalf("moderation addresses %q and %q", accept, reject)
	}
	if pending, _ := filepath.Glob(filepath.Join(dir, "mod", "pending", "*")); len(pending) != 1 {
		t.Fatalf("pending: %v", pending)
	}
	if len(li.box("alice")) != 0 {
		t.Fatalf("a post waiting for moderation was sent:\n%s", li.box("alice"))
	}
	li.mail("demo-mod@mx.test", accept, "From: demo-mod@mx.test\nSubject: ok\n\n")
	post := li.await("alice", "Subject: please post")
	if !strings.Contains(post, "Return-Path: <demo-mlist-return-1-demo-alice=mx.test@mx.test>\n") || !strings.Contains(post, "\nDelivered-To: moderator for demo-mlist@mx.test\n") {
		t.Errorf("accepted post:\n%s", post)
	}

	li.mail("demo-bob@mx.test", "demo-mlist@mx.test", "From: demo-bob@mx.test\nTo: demo-mlist@mx.test\nSubject: off topic\n\nnot for the list\n")
	req = li.await("mod", "Subject: MODERATE for demo-mlist@mx.test", "off topic")
	li.mail("demo-mod@mx.test", field(t, req, "From"), "From: demo-mod@mx.test\nSubject: no\n\n> %%%\n> Please keep to the subject.\n> %%%\n")
	back := li.await("bob", "Subject: Returned post for demo-mlist@mx.test")
	for _, w := range []string{"\n>>>>> -------------------- >>>>>\nPlease keep to the subject.\n<<<<< -------------------- <<<<<\n", "not for the list"} {
		if !strings.Contains(back, w) {
			t.Errorf("returned post lacks %q:\n%s", w, back)
		}
	}
	if rejected, _ := filepath.Glob(filepath.Join(dir, "mod", "rejected", "*")); len(rejected) != 1 {
		t.Errorf("rejected: %v", rejected)
	}
	for _, m := range li.box("alice") {
		if strings.Contains(m, "off topic") {
			t.Errorf("a rejected post was sent:\n%s", m)
		}
	}
}

// TestMlmmjWithQmail: Debian's mlmmj, a list manager no one here
// wrote, runs a list on quail as its README.qmail says (the delimiter
// '-', "|mlmmj-receive -L dir" in ~/.qmail-ml and ~/.qmail-ml-default).
// It posts through quail's qmail-smtpd with a VERP envelope sender of
// its own for each subscriber; the remote subscriber's host answers
// 550, qmail-send's bounce goes to that address, qmail-local hands it
// to mlmmj, and mlmmj-bounce records the subscriber's address.
func TestMlmmjWithQmail(t *testing.T) {
	makeml := testbin.Peer(t, "mlmmj-make-ml")
	receive := testbin.Peer(t, "mlmmj-receive")
	sub := testbin.Peer(t, "mlmmj-sub")
	li := newListInstance(t, "alice")
	port := li.smtpd([]string{"RELAYCLIENT="})
	spool := filepath.Join(li.home, "spool")
	os.Mkdir(spool, 0o755)
	cmd := exec.Command(makeml, "-L", "demo-ml", "-s", spool)
	cmd.Stdin = strings.NewReader("mx.test\ndemo-owner@mx.test\n\n")
	if out, errout, code := testbin.Run(t, cmd); code != 0 {
		t.Fatalf("mlmmj-make-ml: exit %d: %s%s", code, out, errout)
	}
	dir := filepath.Join(spool, "demo-ml")
	for name, v := range map[string]string{"delimiter": "-", "relayhost": "127.0.0.1", "smtpport": port, "tocc": ""} {
		if err := os.WriteFile(filepath.Join(dir, "control", name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dot := "|" + receive + " -F -L " + dir + "\n"
	for _, f := range []string{".qmail-ml", ".qmail-ml-default"} {
		if err := os.WriteFile(filepath.Join(li.home, f), []byte(dot), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"demo-alice@mx.test", "refuse@far.test"} {
		cmd := exec.Command(sub, "-L", dir, "-a", a, "-f", "-q", "-s", "-U")
		if out, errout, code := testbin.Run(t, cmd); code != 0 {
			t.Fatalf("mlmmj-sub %s: exit %d: %s%s", a, code, out, errout)
		}
	}
	li.mail("demo-alice@mx.test", "demo-ml@mx.test", "From: demo-alice@mx.test\nTo: demo-ml@mx.test\nSubject: via mlmmj\n\nhello from mlmmj\n")
	m := li.await("alice", "Subject: via mlmmj", "hello from mlmmj")
	if rp := field(t, m, "Return-Path"); !strings.HasPrefix(rp, "<demo-ml-bounces-1-demo-alice=mx.test@mx.test>") {
		t.Errorf("alice's copy has Return-Path %s", rp)
	}
	bounced := filepath.Join(dir, "bounce", "refuse=far.test")
	if !testbin.Eventually(30*time.Second, func() bool { _, err := os.Stat(bounced); return err == nil }) {
		ents, _ := os.ReadDir(filepath.Join(dir, "bounce"))
		t.Fatalf("mlmmj recorded no bounce for refuse@far.test (bounce/: %v); qmail-send log:\n%s", ents, li.log.String())
	}
	b, _ := os.ReadFile(bounced)
	if !regexp.MustCompile(`^1:\d+`).Match(b) {
		t.Errorf("bounce/refuse=far.test: %q", b)
	}
}
