package qmqp

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
	"github.com/quail-mta/quail/mta/qqueue"
)

var testNow = time.Date(2026, 11, 22, 3, 4, 5, 0, time.UTC)

const receivedField = "Received: from unknown (192.0.2.7)\n  by hub.example with QMQP; 22 Nov 2026 03:04:05 -0000\n"

func testConfig(f *queuetest.Queues) *ServerConfig {
	return &ServerConfig{
		StartQueue: queuetest.Start[Queue](f),
		LocalHost:  "hub.example",
		RemoteIP:   "192.0.2.7",
		RemoteHost: "unknown",
		Now:        func() time.Time { return testNow },
	}
}

// encodePacket encodes a QMQP packet.
func encodePacket(msg, sender string, rcpts ...string) string {
	p := NewPacket(int64(len(msg)), sender, rcpts)
	return string(p.Head) + msg + string(p.Tail)
}

func TestServe(t *testing.T) {
	for _, c := range []struct {
		why    string
		in     string
		queue  qqueue.Result
		want   string
		queued string // message|sender|recipients handed to qmail-queue's verdict
		err    error
	}{
		{why: "a message for two recipients",
			in:     encodePacket("Subject: x\n\nbody\n", "a@client.example", "b@example.com", "c@elsewhere.example"),
			want:   "22:Kok 1795316645 qp 4242,",
			queued: receivedField + "Subject: x\n\nbody\n|a@client.example|b@example.com|c@elsewhere.example"},
		{why: "the bounce sender and no recipients are passed on as they are",
			in:     encodePacket("m\n", ""),
			want:   "22:Kok 1795316645 qp 4242,",
			queued: receivedField + "m\n|"},
		{why: "a permanent queue failure is D",
			in: encodePacket("m\n", "a@x", "b@y"), queue: qqueue.Explain(31),
			want:   string(netstring.Encode("Dmail server permanently rejected message (#5.3.0)")),
			queued: receivedField + "m\n|a@x|b@y"},
		{why: "a temporary queue failure is Z",
			in: encodePacket("m\n", "a@x", "b@y"), queue: qqueue.Explain(53),
			want:   string(netstring.Encode("Zqq write error or disk full (#4.3.0)")),
			queued: receivedField + "m\n|a@x|b@y"},
		{why: "a recipient with NUL refuses the whole message",
			in:   encodePacket("m\n", "a@x", "b@y", "c\x00@y"),
			want: string(netstring.Encode("Dsorry, I can't accept addresses like that (#5.1.3)"))},
		{why: "a sender of 1000 bytes refuses the whole message",
			in:   encodePacket("m\n", strings.Repeat("a", 1000), "b@y"),
			want: string(netstring.Encode("Dsorry, I can't accept addresses like that (#5.1.3)"))},
		{why: "no input: the client left", in: ""},
		{why: "the client leaves inside the message", in: "100:90:half"},
		{why: "a leading zero in the packet length", in: "010:", err: netstring.ErrFormat},
		{why: "the message runs past the packet", in: "5:9:abcdefghi,0:,", err: netstring.ErrFormat},
		{why: "a missing final comma", in: strings.TrimSuffix(encodePacket("m\n", "a@x", "b@y"), ",") + ";", err: netstring.ErrFormat},
		{why: "a missing comma after the message", in: "10:2:m\n;0:,0:,,", err: netstring.ErrFormat},
		{why: "a huge packet length is refused before any data", in: "99999999999:", err: netstring.ErrTooLong},
		{why: "an empty packet has no message", in: "0:,", err: netstring.ErrFormat},
		{why: "a packet without sender", in: "5:2:m\n,,", err: netstring.ErrFormat},
	} {
		f := &queuetest.Queues{Result: c.queue}
		var out bytes.Buffer
		err := Serve(testConfig(f), strings.NewReader(c.in), &out)
		if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Errorf("%s: error %v, want %v", c.why, err, c.err)
		}
		if out.String() != c.want {
			t.Errorf("%s: answer %q, want %q", c.why, out.String(), c.want)
		}
		var got []string
		for _, q := range f.Queued() {
			got = append(got, strings.Join(append([]string{q.Msg.String(), q.Sender}, q.Rcpts...), "|"))
		}
		if strings.Join(got, "\n") != c.queued {
			t.Errorf("%s: queued %q, want %q", c.why, got, c.queued)
		}
		if f.Running() != 0 {
			t.Errorf("%s: a queue was left running", c.why)
		}
	}
}

func FuzzServe(f *testing.F) {
	for _, s := range []string{
		encodePacket("m\n", "a@x", "b@y"), encodePacket("", ""), "010:", "5:9:abcdefghi,0:,", "10:2:m\n;0:,0:,,", "99999999999:",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fq := &queuetest.Queues{}
		var out bytes.Buffer
		Serve(testConfig(fq), bytes.NewReader(in), &out)
		if fq.Running() != 0 {
			t.Fatal("a queue was left running")
		}
		if out.Len() > 0 {
			r, err := ReadReply(bytes.NewReader(out.Bytes()))
			if err != nil || r.Code == 0 {
				t.Fatalf("bad answer %q", out.Bytes())
			}
		}
	})
}

// A client that stops sending is cut off by the limit on each read, or by
// the one on the whole connection.
func TestServeTimeout(t *testing.T) {
	for _, lim := range []struct{ each, conn time.Duration }{{50 * time.Millisecond, 0}, {0, 50 * time.Millisecond}} {
		f := &queuetest.Queues{}
		cfg := testConfig(f)
		cfg.Now = time.Now
		cfg.Timeout, cfg.ConnTimeout = lim.each, lim.conn
		server, client := net.Pipe()
		go io.WriteString(client, "100:90:half")
		if err := Serve(cfg, server, server); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%+v: error %v, want a timeout", lim, err)
		}
		client.Close()
		if len(f.Queued()) != 0 {
			t.Errorf("%+v: a half message was queued", lim)
		}
	}
}
