package spawn

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/mta/queue"
)

func TestRequestRoundTrip(t *testing.T) {
	for _, q := range []Request{
		{0, 1, "", "a@b"},
		{999, 123456789, "me@here", "you@there"},
		{5, 7, "with\x00nul", "x"}, // NULs are dropped on the way out
	} {
		b := AppendRequest(nil, q)
		got, err := ReadRequest(bufio.NewReader(bytes.NewReader(b)))
		want := q
		want.Sender = strings.ReplaceAll(q.Sender, "\x00", "")
		if err != nil || got != want {
			t.Errorf("%+v: read back %+v, %v", q, got, err)
		}
	}
}

func TestReadRequestErrors(t *testing.T) {
	for _, c := range []struct {
		why string
		in  string
		err error
	}{
		{"end of input between requests", "", io.EOF},
		{"cut after the delivery number", "1\x00", io.ErrUnexpectedEOF},
		{"cut inside a field", "1\x002\x00a", io.ErrUnexpectedEOF},
		{"delivery number not a number", "x\x002\x00a\x00b\x00", ErrProtocol},
		{"delivery number too big", "1000\x002\x00a\x00b\x00", ErrProtocol},
		{"message id not a number", "1\x00-2\x00a\x00b\x00", ErrProtocol},
		{"field longer than any", "1\x002\x00" + strings.Repeat("b", MaxField+1), ErrProtocol},
	} {
		_, err := ReadRequest(bufio.NewReader(strings.NewReader(c.in)))
		if err != c.err {
			t.Errorf("%s: %v, want %v", c.why, err, c.err)
		}
	}
}

func TestReplies(t *testing.T) {
	b := AppendReply(nil, Reply{3, Success, "did 0+0+1/"})
	b = AppendReply(b, Reply{4, Failure, strings.Repeat("x", MaxText+10)})
	r := bufio.NewReader(bytes.NewReader(b))
	p, err := ReadReply(r)
	if err != nil || p != (Reply{3, Success, "did 0+0+1/"}) {
		t.Errorf("first reply %+v %v", p, err)
	}
	p, err = ReadReply(r)
	if err != nil || len(p.Text) != MaxText || p.Result != Failure {
		t.Errorf("long reply not cut to MaxText: %d %v", len(p.Text), err)
	}
	if _, err := ReadReply(r); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	for _, bad := range []string{"1\x00Xtext\x00", "1\x00\x00", "1\x00Ktext"} {
		if _, err := ReadReply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzRequest(f *testing.F) {
	f.Add(AppendRequest(nil, Request{1, 2, "a", "b"}))
	f.Add([]byte("1\x00"))
	f.Add([]byte("999\x0018446744073709551615\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		for i := 0; i < 100; i++ {
			q, err := ReadRequest(r)
			if err != nil {
				return
			}
			again, err := ReadRequest(bufio.NewReader(bytes.NewReader(AppendRequest(nil, q))))
			if err != nil || again != q {
				t.Fatalf("%+v does not survive a round trip: %+v %v", q, again, err)
			}
		}
	})
}

func FuzzReply(f *testing.F) {
	f.Add(AppendReply(nil, Reply{1, Deferral, "x"}))
	f.Add([]byte("1\x00K"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		for i := 0; i < 100; i++ {
			if _, err := ReadReply(r); err != nil {
				return
			}
		}
		RemoteResult(in)
	})
}

func TestRemoteResult(t *testing.T) {
	for _, c := range []struct {
		why  string
		out  string
		res  byte
		text string
	}{
		// What qmail-remote writes, and what qmail-rspawn.c's report
		// makes of it: the recipient's text, then the message's where its
		// result is no better than the recipient's.
		{"accepted and delivered: the message's text", "r\x00K127.0.0.1 accepted message.\nRemote host said: 250 ok\n\x00",
			Success, "127.0.0.1 accepted message.\nRemote host said: 250 ok\n"},
		{"accepted, message refused for good", "r\x00D127.0.0.1 failed after I sent the message.\nRemote host said: 554 no\n\x00",
			Failure, "127.0.0.1 failed after I sent the message.\nRemote host said: 554 no\n"},
		{"accepted, message deferred", "r\x00Z127.0.0.1 failed on DATA command.\nRemote host said: 451 later\n\x00",
			Deferral, "127.0.0.1 failed on DATA command.\nRemote host said: 451 later\n"},
		{"recipient refused for good: both texts", "h127.0.0.1 does not like recipient.\nRemote host said: 550 no\n\x00DGiving up on 127.0.0.1.\n\x00",
			Failure, "127.0.0.1 does not like recipient.\nRemote host said: 550 no\nGiving up on 127.0.0.1.\n"},
		{"recipient refused for now, message given up: both texts", "s127.0.0.1 does not like recipient.\nRemote host said: 450 busy\n\x00DGiving up on 127.0.0.1.\n\x00",
			Deferral, "127.0.0.1 does not like recipient.\nRemote host said: 450 busy\nGiving up on 127.0.0.1.\n"},
		{"recipient refused for now, message deferred: both texts", "sbusy\n\x00Zlater\n\x00", Deferral, "busy\nlater\n"},
		{"recipient refused for good, message deferred: the message's is better", "hno\n\x00Zlater\n\x00", Failure, "no\n"},
		{"recipient refused, no message report", "hno\n\x00", Failure, "no\n"},
		{"no output at all", "", Deferral, "qmail-remote produced no report. (#4.3.0)\n"},
		{"gave up before any recipient, for good", "DSorry, I couldn't find any host named nx.example. (#5.1.2)\n\x00", Failure, "Sorry, I couldn't find any host named nx.example. (#5.1.2)\n"},
		{"gave up before any recipient, for now", "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\x00", Deferral, "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"},
		{"delivered without a recipient report is not trusted", "Kthanks\x00", Deferral, "qmail-remote produced no recipient report. (#4.3.0)\n"},
		{"no message report", "r\x00", Deferral, "qmail-remote produced no message report. (#4.3.0)\n"},
		{"unknown letter", "qwhat\x00Kx\x00", Deferral, "qmail-remote produced a malformed report. (#4.3.0)\n"},
	} {
		res, text := RemoteResult([]byte(c.out))
		if res != c.res || text != c.text {
			t.Errorf("%s: %c %q, want %c %q", c.why, res, text, c.res, c.text)
		}
	}
}

func TestCommandResult(t *testing.T) {
	for _, c := range []struct {
		script string
		res    byte
	}{
		{"exit 0", Success}, {"exit 99", Success},
		{"exit 100", Failure}, {"exit 64", Failure}, {"exit 65", Failure}, {"exit 70", Failure},
		{"exit 76", Failure}, {"exit 77", Failure}, {"exit 78", Failure}, {"exit 112", Failure},
		{"exit 111", Deferral}, {"exit 1", Deferral}, {"exit 101", Deferral},
		{"kill -9 $$", Deferral},
	} {
		err := exec.Command("/bin/sh", "-c", c.script).Run()
		if res, _ := CommandResult(launch.ExitOf(err), "t", "prog"); res != c.res {
			t.Errorf("%s: %c, want %c", c.script, res, c.res)
		}
	}
	if res, _ := CommandResult(launch.ExitOf(errors.New("exec: not found")), "", "prog"); res != Deferral {
		t.Error("a program that cannot run is not a deferral")
	}
}

// TestServe runs deliveries concurrently and answers each once, in the
// order they end, and finishes the ones under way when input ends.
func TestServe(t *testing.T) {
	var in bytes.Buffer
	for i := 0; i < 20; i++ {
		in.Write(AppendRequest(nil, Request{i, queue.ID(100 + i), "s", "r"}))
	}
	var out bytes.Buffer
	var mu sync.Mutex
	seen := map[int]bool{}
	err := Serve(&in, &out, func(r Request) (byte, string) {
		time.Sleep(time.Duration(20-r.Delnum) * time.Millisecond)
		mu.Lock()
		seen[r.Delnum] = true
		mu.Unlock()
		return Success, r.ID.String()
	})
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(&out)
	got := map[int]bool{}
	for {
		p, err := ReadReply(rd)
		if err != nil {
			break
		}
		if p.Text != queue.ID(100+p.Delnum).String() || got[p.Delnum] {
			t.Errorf("reply %+v wrong or repeated", p)
		}
		got[p.Delnum] = true
	}
	if len(got) != 20 || len(seen) != 20 {
		t.Errorf("%d replies for 20 requests", len(got))
	}
	if err := Serve(strings.NewReader("junk"), io.Discard, nil); err == nil {
		t.Error("malformed request accepted")
	}
}
