// Package qmqp implements QMQP (https://cr.yp.to/proto/qmqp.html), the
// protocol a null client uses to hand whole messages to a central hub:
// the server side of qmail-qmqpd(8) and the client qmail-qmqpc(8).
//
// A connection carries one packet, a netstring holding the message
// netstring, the sender netstring and one netstring per recipient. The
// server answers with one netstring: K (accepted), Z (try again later) or
// D (refused), followed by text, and closes.
package qmqp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/quail-mta/quail/mta/netstring"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/received"
)

// MaxAddress is qmail's limit on an envelope address: one of this length
// or longer is read and the whole message refused.
const MaxAddress = 1000

const replyAddress = "Dsorry, I can't accept addresses like that (#5.1.3)"

// ServerConfig is what qmail-qmqpd needs: the queue program and the names
// for the Received line. qmail-qmqpd trusts its clients (tcpserver's rules
// choose them), so there is no relay control.
type ServerConfig struct {
	QueueProgram string                // $QMAILQUEUE or QMAILHOME/bin/qmail-queue
	QueueEnv     []string              // environment of the queue program
	StartQueue   func() (Queue, error) // nil: run QueueProgram
	LocalHost    string                // $TCPLOCALHOST, else $TCPLOCALIP, else "unknown"
	RemoteIP     string                // $TCPREMOTEIP, else "unknown"
	RemoteHost   string                // $TCPREMOTEHOST, else "unknown"
	RemoteInfo   string                // $TCPREMOTEINFO
	Timeout      time.Duration         // each read and each write (control/timeoutsmtpd); 0: none
	ConnTimeout  time.Duration         // the whole connection (ConnectionLimit); 0: none
	Now          func() time.Time
}

// Serve reads one packet from in, queues it and writes the answer to out.
// It returns nil when the answer is written or the client went away
// before the end of the packet (nothing is queued then), an error
// wrapping netstring.ErrFormat for a malformed packet, and other errors
// for temporary trouble (timeout, the queue program cannot start).
func Serve(cfg *ServerConfig, in io.Reader, out io.Writer) error {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	lim := Limits{Each: cfg.Timeout}
	if cfg.ConnTimeout > 0 {
		lim.End = time.Now().Add(cfg.ConnTimeout)
	}
	in, out = lim.Reader(in), lim.Writer(out)
	br := bufio.NewReaderSize(in, 4096)
	total, err := netstring.ReadLength(br, netstring.MaxLength)
	if err != nil {
		return quiet(err)
	}
	pkt := netstring.NewSection(br, total)
	msgLen, err := pkt.ReadLength()
	if err != nil {
		return quiet(err)
	}
	q, err := StartQueue(cfg.StartQueue, cfg.QueueProgram, cfg.QueueEnv)
	if err != nil {
		return fmt.Errorf("unable to run %s: %w", cfg.QueueProgram, err)
	}
	result, err := receive(cfg, now, q, pkt, msgLen)
	if err != nil {
		q.Abort()
		return quiet(err)
	}
	if err := netstring.ReadComma(br); err != nil {
		q.Abort()
		return quiet(err)
	}
	if result.reply == "" {
		result.reply = Verdict(q.Close(result.sender, result.rcpts), q.Pid(), now().Unix())
	} else {
		q.Abort()
	}
	if _, err := out.Write(netstring.Encode(result.reply)); err != nil {
		return nil // qmail-qmqpd gives up quietly on a client that left
	}
	return nil
}

type packet struct {
	sender string
	rcpts  []string
	reply  string // set when the packet is refused before the queue decides
}

// receive streams the message to the queue after the Received line, then
// reads the envelope.
func receive(cfg *ServerConfig, now func() time.Time, q Queue, pkt *netstring.Section, msgLen int64) (packet, error) {
	var p packet
	io.WriteString(q, received.Field("QMQP", "", received.Conn{LocalHost: cfg.LocalHost, RemoteIP: cfg.RemoteIP, RemoteHost: cfg.RemoteHost, RemoteInfo: cfg.RemoteInfo}, now()))
	if _, err := io.CopyN(q, pkt, msgLen); err != nil {
		return p, err
	}
	if err := netstring.ReadComma(pkt); err != nil {
		return p, err
	}
	sender, ok, err := ReadAddress(pkt)
	if err != nil {
		return p, err
	}
	p.sender = sender
	if !ok {
		p.reply = replyAddress
	}
	for pkt.Remaining() > 0 {
		r, ok, err := ReadAddress(pkt)
		if err != nil {
			return p, err
		}
		if !ok {
			p.reply = replyAddress
		}
		p.rcpts = append(p.rcpts, r)
	}
	return p, nil
}

// ReadAddress reads one envelope address netstring inside a packet. One
// that holds a NUL byte, or has MaxAddress bytes or more, is read and
// reported as not ok.
func ReadAddress(pkt *netstring.Section) (string, bool, error) {
	n, err := pkt.ReadLength()
	if err != nil {
		return "", false, err
	}
	if n >= MaxAddress {
		if err := netstring.Discard(pkt, n); err != nil {
			return "", false, err
		}
		return "", false, netstring.ReadComma(pkt)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(pkt, b); err != nil {
		return "", false, err
	}
	if err := netstring.ReadComma(pkt); err != nil {
		return "", false, err
	}
	return string(b), bytes.IndexByte(b, 0) < 0, nil
}

// Verdict renders qmail-queue's result as the QMQP (or QMTP) answer.
func Verdict(r qqueue.Result, pid int, now int64) string {
	switch {
	case r.OK():
		return "Kok " + strconv.FormatInt(now, 10) + " qp " + strconv.Itoa(pid)
	case r.Permanent():
		return "D" + r.Text
	default:
		return "Z" + r.Text
	}
}

// quiet turns the client's leaving into a quiet end and keeps protocol and
// timeout errors.
func quiet(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}
