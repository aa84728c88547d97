package vacation

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/inject"
)

func message(t testing.TB, sender, header string) Message {
	t.Helper()
	fields, err := inject.ReadHeader(bufio.NewReader(strings.NewReader(header + "\nbody\n")))
	if err != nil {
		t.Fatal(err)
	}
	return Message{Sender: sender, Fields: fields}
}

var own = []string{"joe@example.com", "jo"}

func TestDecide(t *testing.T) {
	for _, c := range []struct {
		why, sender, header string
		answer              bool
		from                string
	}{
		{"to the user", "ann@else.test", "To: Joe <Joe@Example.COM>\n", true, "Joe@Example.COM"},
		{"cc'd, by a local-part alias", "ann@else.test", "To: x@y.test\nCc: jo@other.test\n", true, "jo@other.test"},
		{"RFC 3834 2: the user not named", "ann@else.test", "To: list@lists.test\n", false, ""},
		{"a bounce", "", "To: joe@example.com\n", false, ""},
		{"a double bounce", "#@[]", "To: joe@example.com\n", false, ""},
		{"MAILER-DAEMON", "MAILER-DAEMON@else.test", "To: joe@example.com\n", false, ""},
		{"owner- sender", "owner-list@lists.test", "To: joe@example.com\n", false, ""},
		{"-request sender", "list-request@lists.test", "To: joe@example.com\n", false, ""},
		{"Auto-Submitted: auto-replied", "ann@else.test", "To: joe@example.com\nAuto-Submitted: auto-replied\n", false, ""},
		{"Auto-Submitted: auto-generated", "ann@else.test", "To: joe@example.com\nAuto-Submitted: auto-generated (x)\n", false, ""},
		{"Auto-Submitted: no is a person", "ann@else.test", "To: joe@example.com\nAuto-Submitted: no\n", true, "joe@example.com"},
		{"Precedence: bulk", "ann@else.test", "To: joe@example.com\nPrecedence: bulk\n", false, ""},
		{"Precedence: junk", "ann@else.test", "To: joe@example.com\nPrecedence: JUNK\n", false, ""},
		{"Precedence: list", "ann@else.test", "To: joe@example.com\nPrecedence: list\n", false, ""},
		{"Precedence: first-class", "ann@else.test", "To: joe@example.com\nPrecedence: first-class\n", true, "joe@example.com"},
		{"List-Id", "ann@else.test", "To: joe@example.com\nList-Id: <l.lists.test>\n", false, ""},
		{"ezmlm's Mailing-List", "ann@else.test", "To: joe@example.com\nMailing-List: contact l-help@lists.test\n", false, ""},
		{"X-Auto-Response-Suppress: OOF", "ann@else.test", "To: joe@example.com\nX-Auto-Response-Suppress: DR, OOF\n", false, ""},
		{"from the user", "joe@example.com", "To: joe@example.com\n", false, ""},
	} {
		answer, from, why := Decide(message(t, c.sender, c.header), own)
		if answer != c.answer || from != c.from {
			t.Errorf("%s: answer %v from %q (%s), want %v from %q", c.why, answer, from, why, c.answer, c.from)
		}
	}
}

func TestReply(t *testing.T) {
	m := message(t, "ann@else.test", "To: joe@example.com\nSubject: lunch\n  tomorrow?\nMessage-ID: <1@else.test>\nReferences: <0@else.test>\n")
	got := string(Reply(m, "joe@example.com", []byte("Subject: away: $SUBJECT\n\nI am away until Monday.\n")))
	want := "Return-Path: <>\nFrom: joe@example.com\nTo: ann@else.test\nAuto-Submitted: auto-replied\n" +
		"In-Reply-To: <1@else.test>\nReferences: <0@else.test> <1@else.test>\nSubject: away: lunch tomorrow?\n\nI am away until Monday.\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = string(Reply(message(t, "ann@else.test", "To: joe@example.com\n"), "joe@example.com", []byte("Away.\n")))
	want = "Return-Path: <>\nFrom: joe@example.com\nTo: ann@else.test\nSubject: Auto: vacation\nAuto-Submitted: auto-replied\n\nAway.\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

var volatile = regexp.MustCompile(`(?m)^(Message-ID|Date): .*\n`)

// run delivers one message to vacation as qmail-local would run it.
func run(t *testing.T, dir, home, queue, sender, header string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "vacation"), args...)
	testbin.Path(t, "qmail-inject")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home, "QMAILQUEUE=" + queue, "SENDER=" + sender, "RECIPIENT=joe@example.com", "LOCAL=joe", "HOST=example.com"}
	cmd.Stdin = strings.NewReader(header + "\nbody\n")
	_, stderr, code := testbin.Run(t, cmd)
	return stderr, code
}

func TestVacationAnswersOncePerSender(t *testing.T) {
	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/me": "example.com\n"})
	q := testbin.StandInQueue(t, t.TempDir())
	dir := t.TempDir()
	testbin.WriteFiles(t, dir, map[string]string{".vacation.msg": "Subject: Re: $SUBJECT\n\nAway.\n"})
	hdr := "From: Ann <ann@else.test>\nTo: joe@example.com\nSubject: hello\nMessage-ID: <m1@else.test>\n"
	if errs, code := run(t, dir, home, q.Path, "ann@else.test", hdr); code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if errs, code := run(t, dir, home, q.Path, "ANN@else.test", hdr); code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if errs, code := run(t, dir, home, q.Path, "bob@else.test", strings.Replace(hdr, "ann@", "bob@", 1)); code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if errs, code := run(t, dir, home, q.Path, "list-bounces@lists.test", hdr+"List-Id: <l>\n"); code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := q.Queued(t)
	if len(got) != 2 {
		t.Fatalf("%d answers, want 2: %q", len(got), got)
	}
	want := "From: joe@example.com\nTo: ann@else.test\nAuto-Submitted: auto-replied\nIn-Reply-To: <m1@else.test>\nReferences: <m1@else.test>\nSubject: Re: hello\n\nAway.\n|F\x00Tann@else.test\x00\x00"
	if g := volatile.ReplaceAllString(got[0], ""); g != want {
		t.Errorf("answer\n got  %q\n want %q", g, want)
	}
	db, _ := os.ReadFile(filepath.Join(dir, ".vacation.db"))
	if !regexp.MustCompile(`^\d+ ann@else.test\n\d+ bob@else.test\n$`).Match(db) {
		t.Errorf(".vacation.db: %q", db)
	}
	// -r 0 answers every time.
	if errs, code := run(t, dir, home, q.Path, "ann@else.test", hdr, "-r", "0"); code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := len(q.Queued(t)); n != 3 {
		t.Errorf("-r 0: %d answers, want 3", n)
	}
}

// TestConcurrentDeliveriesAnswerOnce: twenty copies from one sender
// delivered at once get one answer.
func TestConcurrentDeliveriesAnswerOnce(t *testing.T) {
	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/me": "example.com\n"})
	q := testbin.StandInQueue(t, t.TempDir())
	dir := t.TempDir()
	testbin.WriteFiles(t, dir, map[string]string{".vacation.msg": "Away.\n"})
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, codes[i] = run(t, dir, home, q.Path, "ann@else.test", fmt.Sprintf("To: joe@example.com\nSubject: %d\n", i))
		}(i)
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Errorf("delivery %d exit %d", i, c)
		}
	}
	if n := len(q.Queued(t)); n != 1 {
		t.Errorf("%d answers, want 1", n)
	}
}

func TestVacationFailures(t *testing.T) {
	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/me": "example.com\n"})
	q := testbin.StandInQueue(t, t.TempDir())
	dir := t.TempDir()
	hdr := "To: joe@example.com\n"
	if errs, code := run(t, dir, home, q.Path, "ann@else.test", hdr); code != 111 || errs != "vacation: fatal: unable to read .vacation.msg: file does not exist\n" {
		t.Errorf("no message file: exit %d %q", code, errs)
	}
	testbin.WriteFiles(t, dir, map[string]string{".vacation.msg": "Away.\n"})
	q.SetCode(t, 31)
	if errs, code := run(t, dir, home, q.Path, "ann@else.test", hdr); code != 111 || !strings.Contains(errs, "vacation: fatal: unable to send the answer: qmail-inject exited 100\n") {
		t.Errorf("queue refuses: exit %d %q", code, errs)
	}
	if db, err := os.ReadFile(filepath.Join(dir, ".vacation.db")); err == nil && len(db) > 0 {
		t.Errorf("a sender not answered was remembered: %q", db)
	}
	if errs, code := run(t, dir, home, q.Path, "ann@else.test", hdr, "-x"); code != 100 || !strings.HasSuffix(errs, "vacation: usage: vacation [ -n ] [ -r days ] [ -a address ] [ -m message ] [ -f db ]\n") {
		t.Errorf("bad option: exit %d %q", code, errs)
	}
}

func FuzzDecide(f *testing.F) {
	for _, s := range []string{"To: joe@example.com\n", "To: a@b\nList-Id: x\n", "Cc: \"j o\" <jo@x>, (c) y@z\nPrecedence: bulk\n", "Auto-Submitted: no\nTo: <joe@example.com>\n"} {
		f.Add(s, "ann@else.test")
	}
	f.Fuzz(func(t *testing.T, header, sender string) {
		fields, err := inject.ReadHeader(bufio.NewReader(strings.NewReader(header + "\n")))
		if err != nil {
			return
		}
		m := Message{Sender: sender, Fields: fields}
		if ok, from, _ := Decide(m, own); ok {
			if sender == "" || !mine(from, own) {
				t.Fatalf("answered %q from %q", sender, from)
			}
			Reply(m, from, []byte(header))
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"1700000000 a@b", "x a", "1 ", "-1 a", "12 a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if e, ok := ParseEntry(line); ok && (e.Addr == "" || strings.ContainsAny(e.Addr, " \n")) {
			t.Fatalf("%q gave %+v", line, e)
		}
	})
}
