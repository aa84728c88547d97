package qmqp

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// deadlineLog is a connection that records the deadline set before each
// read and write.
type deadlineLog struct {
	in     io.Reader
	out    bytes.Buffer
	reads  []time.Time
	writes []time.Time
}

func (c *deadlineLog) Read(p []byte) (int, error)         { return c.in.Read(p) }
func (c *deadlineLog) Write(p []byte) (int, error)        { return c.out.Write(p) }
func (c *deadlineLog) SetReadDeadline(t time.Time) error  { c.reads = append(c.reads, t); return nil }
func (c *deadlineLog) SetWriteDeadline(t time.Time) error { c.writes = append(c.writes, t); return nil }

// Each read gets a deadline of its own, Each from when it starts (qmail's
// timeoutread), capped by the end of the connection; a reader that takes
// no deadline is used as it is.
func TestLimitsReader(t *testing.T) {
	c := &deadlineLog{in: strings.NewReader("abc")}
	r := Limits{Each: time.Minute}.Reader(c)
	for i := 0; i < 3; i++ {
		before := time.Now()
		if n, err := r.Read(make([]byte, 1)); n != 1 || err != nil {
			t.Fatalf("read %d: %d, %v", i, n, err)
		}
		d := c.reads[i]
		if d.Before(before.Add(time.Minute)) || d.After(time.Now().Add(time.Minute)) {
			t.Errorf("read %d: deadline %v, not a minute after it started (%v)", i, d, before)
		}
	}
	if len(c.reads) != 3 {
		t.Errorf("%d deadlines for 3 reads", len(c.reads))
	}

	end := time.Now().Add(time.Second)
	c = &deadlineLog{in: strings.NewReader("x")}
	Limits{Each: time.Minute, End: end}.Reader(c).Read(make([]byte, 1))
	if len(c.reads) != 1 || !c.reads[0].Equal(end) {
		t.Errorf("deadlines %v, want the end of the connection %v", c.reads, end)
	}
	c = &deadlineLog{in: strings.NewReader("x")}
	Limits{End: end}.Reader(c).Read(make([]byte, 1))
	if len(c.reads) != 1 || !c.reads[0].Equal(end) {
		t.Errorf("without Each: deadlines %v, want %v", c.reads, end)
	}

	plain := strings.NewReader("x")
	if (Limits{Each: time.Minute}).Reader(plain) != io.Reader(plain) {
		t.Error("a reader without deadlines was wrapped")
	}
	c = &deadlineLog{in: strings.NewReader("x")}
	if (Limits{}).Reader(c) != io.Reader(c) {
		t.Error("no limits, yet the reader was wrapped")
	}
}

// A write gets a deadline for every 64 KiB, so that Each bounds a stall
// and not the time a large answer takes.
func TestLimitsWriter(t *testing.T) {
	c := &deadlineLog{}
	w := Limits{Each: time.Minute}.Writer(c)
	big := bytes.Repeat([]byte("x"), 150<<10)
	if n, err := w.Write(big); n != len(big) || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	if len(c.writes) != 3 || !bytes.Equal(c.out.Bytes(), big) {
		t.Errorf("%d deadlines for 150 KiB, %d bytes written", len(c.writes), c.out.Len())
	}
}
