package qmtpd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/queuetest"
	"github.com/quail-mta/quail/mta/netstring"
	"github.com/quail-mta/quail/mta/qmqp"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/rcpthosts"
)

var testNow = time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC)

const receivedField = "Received: from client.example (ident@192.0.2.7)\n  by hub.example with QMTP; 22 Nov 2026 03:04:05 -0000\n"

func testConfig(f *queuetest.Queues) *Config {
	return &Config{
		Rcpthosts:  rcpthosts.New([]string{"example.com", ".example.net"}),
		StartQueue: queuetest.Start[qmqp.Queue](f),
		LocalHost:  "hub.example",
		RemoteIP:   "192.0.2.7",
		RemoteHost: "client.example",
		RemoteInfo: "ident",
		Now:        func() time.Time { return testNow },
	}
}

// pkg encodes a QMTP package with LF line ends.
func pkg(msg, sender string, rcpts ...string) string {
	return pkgKind('\n', msg, sender, rcpts...)
}

func pkgKind(kind byte, msg, sender string, rcpts ...string) string {
	var r []byte
	for _, a := range rcpts {
		r = netstring.Append(r, []byte(a))
	}
	return string(netstring.Encode(string(kind)+msg)) + string(netstring.Encode(sender)) + string(netstring.Append(nil, r))
}

func replies(rs ...string) string {
	var b []byte
	for _, r := range rs {
		b = netstring.Append(b, []byte(r))
	}
	return string(b)
}

const ok = "Kok 1795316645 qp 4242"

func TestSession(t *testing.T) {
	long := strings.Repeat("x", 990) + "@example.com"
	for _, c := range []struct {
		why       string
		in        string
		databytes int64
		relay     *string
		queue     qqueue.Result
		want      string
		queued    []string // message, sender and recipients of what reached qmail-queue's verdict
		err       error
	}{
		{why: "one message, one local recipient",
			in:     pkg("Subject: hi\n\nbody\n", "a@remote.example", "b@example.com"),
			want:   replies(ok),
			queued: []string{receivedField + "Subject: hi\n\nbody\n|a@remote.example|b@example.com"}},
		{why: "no input: the client closed at once",
			in: ""},
		{why: "several messages in one connection, each answered in turn",
			in:   pkg("one\n", "a@x", "b@example.com") + pkg("two\n", "", "c@sub.example.net", "d@EXAMPLE.COM"),
			want: replies(ok) + replies(ok, ok),
			queued: []string{receivedField + "one\n|a@x|b@example.com",
				receivedField + "two\n||c@sub.example.net|d@EXAMPLE.COM"}},
		{why: "relaying for others is refused per recipient; the rest is queued",
			in:     pkg("m\n", "a@x", "b@example.com", "victim@elsewhere.example", "c"),
			want:   replies(ok, "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", ok),
			queued: []string{receivedField + "m\n|a@x|b@example.com|c"}},
		{why: "every recipient refused: nothing is queued",
			in:   pkg("m\n", "a@x", "victim@elsewhere.example"),
			want: replies("Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)")},
		{why: "RELAYCLIENT allows relaying and is appended to each recipient",
			in: pkg("m\n", "a@x", "v@elsewhere.example"), relay: ptr("@relay"),
			want: replies(ok), queued: []string{receivedField + "m\n|a@x|v@elsewhere.example@relay"}},
		{why: "an oversize message is refused for every good recipient, and the session goes on",
			in:        pkg("0123456789\n", "a@x", "b@example.com", "v@elsewhere.example") + pkg("short\n", "a@x", "b@example.com"),
			databytes: 10,
			want:      replies("Dsorry, that message size exceeds my databytes limit (#5.3.4)", "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)") + replies(ok),
			queued:    []string{receivedField + "short\n|a@x|b@example.com"}},
		{why: "a message of exactly databytes is accepted",
			in: pkg("012345678\n", "a@x", "b@example.com"), databytes: 10,
			want: replies(ok), queued: []string{receivedField + "012345678\n|a@x|b@example.com"}},
		{why: "CR LF ends become LF; a lone CR stays",
			in:   pkgKind('\r', "Subject: x\r\n\r\na\rb\r\n\r", "a@x", "b@example.com"),
			want: replies(ok), queued: []string{receivedField + "Subject: x\n\na\rb\n\r|a@x|b@example.com"}},
		{why: "databytes counts the converted message in CR LF mode",
			in: pkgKind('\r', "12345678\r\n\r\n", "a@x", "b@example.com"), databytes: 10,
			want: replies(ok), queued: []string{receivedField + "12345678\n\n|a@x|b@example.com"}},
		{why: "databytes exceeded after conversion in CR LF mode",
			in: pkgKind('\r', "123456789\r\n\r\n", "a@x", "b@example.com"), databytes: 10,
			want: replies("Dsorry, that message size exceeds my databytes limit (#5.3.4)")},
		{why: "a sender with NUL is refused for every good recipient",
			in:   pkg("m\n", "a\x00b@x", "b@example.com"),
			want: replies("Dunacceptable sender (#5.1.7)")},
		{why: "a sender of 1000 bytes is read and refused",
			in:   pkg("m\n", strings.Repeat("s", 1000), "b@example.com"),
			want: replies("Dunacceptable sender (#5.1.7)")},
		{why: "a recipient too long or with NUL is refused, the others queued",
			in:     pkg("m\n", "a@x", long, "n\x00ul@example.com", "b@example.com"),
			want:   replies("Dsorry, I can't handle that recipient (#5.1.3)", "Dsorry, I can't handle that recipient (#5.1.3)", ok),
			queued: []string{receivedField + "m\n|a@x|b@example.com"}},
		{why: "RELAYCLIENT's length counts toward the address limit",
			in: pkg("m\n", "a@x", strings.Repeat("y", 995)), relay: ptr("@relay"),
			want: replies("Dsorry, I can't handle that recipient (#5.1.3)")},
		{why: "a permanent queue failure is D for each accepted recipient",
			in: pkg("m\n", "a@x", "b@example.com", "c@example.com"), queue: qqueue.Explain(31),
			want:   replies("Dmail server permanently rejected message (#5.3.0)", "Dmail server permanently rejected message (#5.3.0)"),
			queued: []string{receivedField + "m\n|a@x|b@example.com|c@example.com"}},
		{why: "a temporary queue failure is Z",
			in: pkg("m\n", "a@x", "b@example.com"), queue: qqueue.Explain(53),
			want:   replies("Zqq write error or disk full (#4.3.0)"),
			queued: []string{receivedField + "m\n|a@x|b@example.com"}},
		{why: "a package without recipients gets no responses",
			in: pkg("m\n", "a@x")},
		{why: "the message must start with LF or CR",
			in: "3:xab,0:,0:,", err: netstring.ErrFormat},
		{why: "an empty message netstring has no line-end byte",
			in: "0:,0:,0:,", err: netstring.ErrFormat},
		{why: "a leading zero in a length",
			in: "02:\nm,0:,0:,", err: netstring.ErrFormat},
		{why: "a missing comma after the message",
			in: "2:\nm;0:,0:,", err: netstring.ErrFormat},
		{why: "a recipient running past the recipient list",
			in: "2:\nm,0:,5:9:abc,,", err: netstring.ErrFormat},
		{why: "a huge length is refused before any data",
			in: "99999999999:\n", err: netstring.ErrTooLong},
		{why: "a client closing in the middle of a message queues nothing",
			in: "100:\nhalf a message"},
		{why: "a client closing before its recipients are complete queues nothing",
			in: "2:\nm,3:a@x,20:13:b@example.com,"},
		{why: "the first message is answered even if the second is broken",
			in:     pkg("m\n", "a@x", "b@example.com") + "2:xm,0:,0:,",
			want:   replies(ok),
			queued: []string{receivedField + "m\n|a@x|b@example.com"},
			err:    netstring.ErrFormat},
	} {
		f := &queuetest.Queues{Result: c.queue}
		cfg := testConfig(f)
		cfg.Databytes = c.databytes
		cfg.RelayClient = c.relay
		var out bytes.Buffer
		err := Serve(cfg, strings.NewReader(c.in), &out)
		if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Errorf("%s: error %v, want %v", c.why, err, c.err)
		}
		if out.String() != c.want {
			t.Errorf("%s: replies\n%q\nwant\n%q", c.why, out.String(), c.want)
		}
		var got []string
		for _, q := range f.Queued() {
			got = append(got, strings.Join(append([]string{q.Msg.String(), q.Sender}, q.Rcpts...), "|"))
		}
		if strings.Join(got, "\n--\n") != strings.Join(c.queued, "\n--\n") {
			t.Errorf("%s: queued\n%q\nwant\n%q", c.why, got, c.queued)
		}
		if f.Running() != 0 {
			t.Errorf("%s: a queue was left running", c.why)
		}
	}
}

func TestQueueUnavailable(t *testing.T) {
	f := &queuetest.Queues{Fail: true}
	var out bytes.Buffer
	err := Serve(testConfig(f), strings.NewReader(pkg("m\n", "a@x", "b@example.com")), &out)
	if err == nil || errors.Is(err, netstring.ErrFormat) {
		t.Errorf("error %v, want a temporary failure", err)
	}
	if out.Len() != 0 {
		t.Errorf("answered %q without a queue", out.String())
	}
}

func ptr(s string) *string { return &s }

// slowReader hands out its input a byte at a time, the worst case for
// framing code.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return s.r.Read(p)
}

func TestSessionByteAtATime(t *testing.T) {
	f := &queuetest.Queues{}
	in := pkg("one\n", "a@x", "b@example.com") + pkgKind('\r', "two\r\n", "", "c@example.com", "d@other.example")
	var out bytes.Buffer
	if err := Serve(testConfig(f), slowReader{strings.NewReader(in)}, &out); err != nil {
		t.Fatal(err)
	}
	want := replies(ok) + replies(ok, "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)")
	if out.String() != want {
		t.Errorf("replies %q, want %q", out.String(), want)
	}
	if q := f.Queued(); len(q) != 2 || q[1].Msg.String() != receivedField+"two\n" {
		t.Errorf("queued %d messages", len(q))
	}
}

func FuzzSession(f *testing.F) {
	for _, s := range []string{
		pkg("m\n", "a@x", "b@example.com"),
		pkgKind('\r', "a\r\nb\r", "", "c", "d@elsewhere"),
		pkg("m\n", "a@x") + pkg("n\n", "s", "x@example.net"),
		"2:\nm,0:,5:9:abc,,", "02:\nm,", "99999999999:", "1:\n,0:,0:,",
	} {
		f.Add([]byte(s), int64(0), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, databytes int64, relay bool) {
		fq := &queuetest.Queues{}
		cfg := testConfig(fq)
		cfg.Databytes = max(databytes, 0)
		if relay {
			cfg.RelayClient = ptr("")
		}
		var out bytes.Buffer
		Serve(cfg, bytes.NewReader(in), &out)
		if fq.Running() != 0 {
			t.Fatal("a queue was left running")
		}
		for _, q := range fq.Started {
			if q.Closed && cfg.Databytes > 0 && int64(q.Msg.Len()-len(receivedField)) > cfg.Databytes {
				t.Fatalf("queued %d bytes over databytes %d", q.Msg.Len(), cfg.Databytes)
			}
		}
		// Every response is a well-formed netstring starting K, Z or D.
		r := bytes.NewReader(out.Bytes())
		for r.Len() > 0 {
			s, err := netstring.Read(bufioReader(r), -1)
			if err != nil || len(s) == 0 || !strings.ContainsRune("KZD", rune(s[0])) {
				t.Fatalf("bad response stream %q", out.Bytes())
			}
		}
	})
}

func bufioReader(r *bytes.Reader) netstring.Reader { return r }

// A client that stops sending is cut off by the limit on each read, or by
// the one on the whole connection.
func TestSessionTimeout(t *testing.T) {
	for _, lim := range []struct{ each, conn time.Duration }{{50 * time.Millisecond, 0}, {0, 50 * time.Millisecond}} {
		f := &queuetest.Queues{}
		cfg := testConfig(f)
		cfg.Now = time.Now
		cfg.Timeout, cfg.ConnTimeout = lim.each, lim.conn
		server, client := net.Pipe()
		go io.WriteString(client, "100:\nthe start of a message and then nothing")
		err := Serve(cfg, server, server)
		client.Close()
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%+v: error %v, want a timeout", lim, err)
		}
		for _, q := range f.Started {
			if q.Closed || !q.Aborted {
				t.Errorf("%+v: the half message was not dropped", lim)
			}
		}
	}
}
