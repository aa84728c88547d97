package qmqp

import (
	"io"
	"time"
)

// ConnectionLimit is how long qmail-qmqpd and qmail-qmtpd let one
// connection last: qmail-qmqpd.c and qmail-qmtpd.c call alarm(3600) at
// start and exit 111 when it rings.
const ConnectionLimit = 3600 * time.Second

// DefaultIOTimeout is the servers' limit on each read and each write when
// control/timeoutsmtpd does not say otherwise: qmail-smtpd's 1200 seconds.
const DefaultIOTimeout = 1200 * time.Second

// Limits are the time limits of one connection: Each for every read and
// every write, counted from when it starts, as qmail's timeoutread and
// timeoutwrite count them; End for the whole connection. A zero value
// means no limit.
type Limits struct {
	Each time.Duration
	End  time.Time
}

// deadline is when an operation starting now must be done by.
func (l Limits) deadline() time.Time {
	var d time.Time
	if l.Each > 0 {
		d = time.Now().Add(l.Each)
	}
	if !l.End.IsZero() && (d.IsZero() || l.End.Before(d)) {
		d = l.End
	}
	return d
}

func (l Limits) none() bool { return l.Each <= 0 && l.End.IsZero() }

type readDeadliner interface {
	io.Reader
	SetReadDeadline(time.Time) error
}

type writeDeadliner interface {
	io.Writer
	SetWriteDeadline(time.Time) error
}

// Reader is r with the limits applied to each Read, when r takes
// deadlines (a net.Conn, a socket from cli.NetStdio); any other reader is
// returned as it is.
func (l Limits) Reader(r io.Reader) io.Reader {
	if d, ok := r.(readDeadliner); ok && !l.none() {
		return limitedReader{d, l}
	}
	return r
}

// Writer is w with the limits applied to each Write, when w takes
// deadlines; a long write gets a deadline of its own for every 64 KiB,
// so Each bounds a stall, not the time a large write needs.
func (l Limits) Writer(w io.Writer) io.Writer {
	if d, ok := w.(writeDeadliner); ok && !l.none() {
		return limitedWriter{d, l}
	}
	return w
}

type limitedReader struct {
	r   readDeadliner
	lim Limits
}

func (t limitedReader) Read(p []byte) (int, error) {
	t.r.SetReadDeadline(t.lim.deadline())
	return t.r.Read(p)
}

type limitedWriter struct {
	w   writeDeadliner
	lim Limits
}

func (t limitedWriter) Write(p []byte) (int, error) {
	var done int
	for len(p) > 0 {
		chunk := p[:min(len(p), 64<<10)]
		t.w.SetWriteDeadline(t.lim.deadline())
		n, err := t.w.Write(chunk)
		done += n
		if err != nil {
			return done, err
		}
		p = p[n:]
	}
	return done, nil
}
