// Package spawn implements qmail-lspawn(8), the protocol between
// qmail-send and its two delivery daemons, and what both daemons share
// (qmail-rspawn(8) itself is package rspawn).
//
// The protocol is quail's own (both ends are ours); qmail's is a
// different byte layout with the same content. qmail-send writes one
// request per delivery on the daemon's descriptor 0:
//
//	DELNUM NUL MESSAGE-ID NUL SENDER NUL RECIPIENT NUL
//
// and the daemon answers on descriptor 1, in any order, one reply per
// request once the delivery is over:
//
//	DELNUM NUL RESULT TEXT NUL
//
// DELNUM and MESSAGE-ID are decimal; RESULT is K (delivered), Z
// (temporary failure, try again later) or D (permanent failure); TEXT is
// the report, free of NUL bytes. When descriptor 0 ends, the daemon
// finishes the deliveries under way, answers them and exits 0.
package spawn

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/mta/queue"
)

// MaxField bounds every field of the protocol (qmail-send fails an
// address that long itself), MaxText a report.
const (
	MaxField = 4096
	MaxText  = 4000
)

// MaxDeliveries bounds DELNUM: qmail-send never runs more at once.
const MaxDeliveries = 1000

// Request is one delivery asked of a spawn daemon.
type Request struct {
	Delnum int
	ID     queue.ID
	Sender string
	Recip  string
}

// Result letters.
const (
	Success   = 'K'
	Deferral  = 'Z'
	Failure   = 'D'
	malformed = "malformed spawn message"
)

// Reply is the outcome of one delivery.
type Reply struct {
	Delnum int
	Result byte // Success, Deferral or Failure
	Text   string
}

// ErrProtocol is a request or reply that does not follow the protocol.
var ErrProtocol = errors.New(malformed)

func field(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		if c == 0 {
			return string(b), nil
		}
		if len(b) >= MaxField {
			return "", ErrProtocol
		}
		b = append(b, c)
	}
}

func delnum(s string) (int, error) {
	if s == "" || len(s) > 4 || strings.Trim(s, "0123456789") != "" {
		return 0, ErrProtocol
	}
	n, _ := strconv.Atoi(s)
	if n >= MaxDeliveries {
		return 0, ErrProtocol
	}
	return n, nil
}

// ReadRequest reads one request. io.EOF means the end of input at a
// request boundary; anything else cut short is io.ErrUnexpectedEOF.
func ReadRequest(r *bufio.Reader) (Request, error) {
	var f [4]string
	for i := range f {
		s, err := field(r)
		if err != nil {
			if err == io.EOF && i > 0 {
				err = io.ErrUnexpectedEOF
			}
			return Request{}, err
		}
		f[i] = s
	}
	n, err := delnum(f[0])
	if err != nil {
		return Request{}, err
	}
	id, ok := queue.ParseID(f[1])
	if !ok {
		return Request{}, ErrProtocol
	}
	return Request{Delnum: n, ID: id, Sender: f[2], Recip: f[3]}, nil
}

// AppendRequest renders a request.
func AppendRequest(b []byte, q Request) []byte {
	b = strconv.AppendInt(b, int64(q.Delnum), 10)
	b = append(b, 0)
	b = append(b, q.ID.String()...)
	b = append(b, 0)
	b = append(b, clean(q.Sender)...)
	b = append(b, 0)
	b = append(b, clean(q.Recip)...)
	return append(b, 0)
}

// ReadReply reads one reply.
func ReadReply(r *bufio.Reader) (Reply, error) {
	s, err := field(r)
	if err != nil {
		return Reply{}, err
	}
	n, err := delnum(s)
	if err != nil {
		return Reply{}, err
	}
	t, err := field(r)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Reply{}, err
	}
	if t == "" || (t[0] != Success && t[0] != Deferral && t[0] != Failure) {
		return Reply{}, ErrProtocol
	}
	return Reply{Delnum: n, Result: t[0], Text: t[1:]}, nil
}

// AppendReply renders a reply; the text is cut to MaxText and freed of
// NUL bytes.
func AppendReply(b []byte, p Reply) []byte {
	b = strconv.AppendInt(b, int64(p.Delnum), 10)
	b = append(b, 0, p.Result)
	t := clean(p.Text)
	if len(t) > MaxText {
		t = t[:MaxText]
	}
	b = append(b, t...)
	return append(b, 0)
}

func clean(s string) string { return strings.ReplaceAll(s, "\x00", "") }
