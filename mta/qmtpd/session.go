// Package qmtpd is qmail-qmtpd's engine: a QMTP server
// (https://cr.yp.to/proto/qmtp.txt, qmail-qmtpd(8)) for one connection,
// reading packages from an io.Reader and writing responses to an
// io.Writer, with the UCSPI environment handed in through Config.
//
// Each package is a message netstring (its first byte 10 for LF line ends,
// or 13 for CR LF ends, which are turned into LF), a sender netstring and a
// netstring of recipient netstrings. The message goes to qmail-queue with a
// "Received: ... with QMTP" line while it arrives; the client gets one
// response netstring per recipient, K, Z or D as qmail-queue decided, or D
// for a recipient refused by rcpthosts, malformed or too long. A client may
// send any number of packages; it ends the connection by closing it.
package qmtpd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/netstring"
	"github.com/quail-mta/quail/mta/qmqp"
	"github.com/quail-mta/quail/mta/received"
)

// MaxAddress is qmail's limit on an envelope address: one of this length
// or longer is read and refused.
const MaxAddress = 1000

// Replies qmail-qmtpd gives for what the queue never sees.
const (
	replyRcpthosts = "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
	replyRecipient = "Dsorry, I can't handle that recipient (#5.1.3)"
	replySender    = "Dunacceptable sender (#5.1.7)"
	replyDatabytes = "Dsorry, that message size exceeds my databytes limit (#5.3.4)"
)

// ErrGone is the client closing the connection or failing to take our
// responses: qmail-qmtpd then ends quietly, queueing nothing more.
var ErrGone = errors.New("client went away")

// Serve runs a connection until the client closes it (nil), breaks the
// protocol (an error wrapping netstring.ErrFormat) or something fails
// (timeout, the queue program cannot start, a length beyond any limit).
// Every read and every write must be done within cfg.Timeout, and the
// whole connection within cfg.ConnTimeout.
func Serve(cfg *Config, in io.Reader, out io.Writer) error {
	lim := qmqp.Limits{Each: cfg.Timeout}
	if cfg.ConnTimeout > 0 {
		lim.End = time.Now().Add(cfg.ConnTimeout)
	}
	s := &server{cfg: cfg, in: bufio.NewReaderSize(lim.Reader(in), 4096), out: bufio.NewWriterSize(lim.Writer(out), 512)}
	for {
		err := s.pkg()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrGone) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

type server struct {
	cfg *Config
	in  *bufio.Reader
	out *bufio.Writer
}

// recipient is one address of a package and what became of it: reply is
// empty when it goes to the queue, else the answer it gets instead of the
// queue's verdict.
type recipient struct {
	addr  string
	reply string
}

func (s *server) pkg() error {
	n, err := netstring.ReadLength(s.in, netstring.MaxLength)
	if err != nil {
		return err
	}
	if n == 0 {
		return netstring.ErrFormat
	}
	kind, err := s.in.ReadByte()
	if err != nil {
		return unexpected(err)
	}
	n--
	if kind != '\n' && kind != '\r' {
		return netstring.ErrFormat
	}
	limit := s.cfg.Databytes
	oversize := limit > 0 && kind == '\n' && n > limit
	var q qmqp.Queue
	if !oversize {
		if q, err = qmqp.StartQueue(s.cfg.StartQueue, s.cfg.QueueProgram, s.cfg.QueueEnv); err != nil {
			return fmt.Errorf("unable to run %s: %w", s.cfg.QueueProgram, err)
		}
		defer func() {
			if q != nil {
				q.Abort()
			}
		}()
		io.WriteString(q, received.Field("QMTP", "", received.Conn{LocalHost: s.cfg.LocalHost, RemoteIP: s.cfg.RemoteIP, RemoteHost: s.cfg.RemoteHost, RemoteInfo: s.cfg.RemoteInfo}, s.cfg.Now()))
	}
	switch {
	case oversize:
		err = netstring.Discard(s.in, n)
	case kind == '\n':
		_, err = io.CopyN(q, s.in, n)
	default:
		var written int64
		written, err = copyCRLF(q, s.in, n, limit)
		oversize = limit > 0 && written > limit
	}
	if err != nil {
		return unexpected(err)
	}
	if err := netstring.ReadComma(s.in); err != nil {
		return err
	}
	sender, senderOK, err := s.address(s.in, 0)
	if err != nil {
		return err
	}
	rcpts, err := s.recipients()
	if err != nil {
		return err
	}
	if err := netstring.ReadComma(s.in); err != nil {
		return err
	}
	var good []string
	for _, r := range rcpts {
		if r.reply == "" {
			good = append(good, r.addr)
		}
	}
	var result string
	switch {
	case oversize:
		result = replyDatabytes
	case !senderOK:
		result = replySender
	case len(good) > 0:
		result = qmqp.Verdict(q.Close(sender, good), q.Pid(), s.cfg.Now().Unix())
		q = nil
	}
	var b []byte
	for _, r := range rcpts {
		if r.reply != "" {
			b = netstring.Append(b, []byte(r.reply))
		} else {
			b = netstring.Append(b, []byte(result))
		}
	}
	if _, err := s.out.Write(b); err != nil {
		return ErrGone
	}
	if err := s.out.Flush(); err != nil {
		return ErrGone
	}
	return nil
}

// address reads an envelope address netstring; one with a NUL byte or of
// MaxAddress bytes or more (counting what RELAYCLIENT appends, extra) is
// read and reported as not ok.
func (s *server) address(r netstring.Reader, extra int) (string, bool, error) {
	var n int64
	var err error
	if sec, ok := r.(*netstring.Section); ok {
		n, err = sec.ReadLength()
	} else {
		n, err = netstring.ReadLength(r, netstring.MaxLength)
		err = unexpected(err)
	}
	if err != nil {
		return "", false, err
	}
	if n+int64(extra) >= MaxAddress {
		if err := netstring.Discard(r, n); err != nil {
			return "", false, err
		}
		return "", false, netstring.ReadComma(r)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", false, unexpected(err)
	}
	if err := netstring.ReadComma(r); err != nil {
		return "", false, err
	}
	return string(b), bytes.IndexByte(b, 0) < 0, nil
}

// recipients reads the netstring of recipient netstrings and decides each
// recipient as qmail-qmtpd does.
func (s *server) recipients() ([]recipient, error) {
	total, err := netstring.ReadLength(s.in, netstring.MaxLength)
	if err != nil {
		return nil, unexpected(err)
	}
	sec := netstring.NewSection(s.in, total)
	extra := 0
	if s.cfg.RelayClient != nil {
		extra = len(*s.cfg.RelayClient)
	}
	var rcpts []recipient
	for sec.Remaining() > 0 {
		addr, ok, err := s.address(sec, extra)
		if err != nil {
			return nil, err
		}
		r := recipient{addr: addr}
		switch {
		case !ok:
			r.reply = replyRecipient
		case s.cfg.RelayClient != nil:
			r.addr += *s.cfg.RelayClient
		default:
			allowed, err := s.allowed(addr)
			if err != nil {
				return nil, err
			}
			if !allowed {
				r.reply = replyRcpthosts
			}
		}
		rcpts = append(rcpts, r)
	}
	return rcpts, nil
}

// allowed is qmail's rcpthosts(): an address without '@' is presumed
// local; otherwise its domain must be listed.
func (s *server) allowed(addr string) (bool, error) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return true, nil
	}
	ok, err := s.cfg.Rcpthosts.Allowed(addr[i+1:])
	if err != nil {
		return false, fmt.Errorf("unable to read controls: %w", err)
	}
	return ok, nil
}

// copyCRLF copies n bytes of a message with CR LF line ends, writing LF
// for each CR LF (a CR not before LF stays), and stops writing once more
// than limit bytes (if limit > 0) have come out. It returns how many bytes
// came out, counting those past the limit.
func copyCRLF(w io.Writer, r *bufio.Reader, n, limit int64) (int64, error) {
	bw := bufio.NewWriterSize(w, 4096)
	var out int64
	put := func(c byte) {
		out++
		if limit == 0 || out <= limit {
			bw.WriteByte(c)
		}
	}
	pendingCR := false
	for ; n > 0; n-- {
		c, err := r.ReadByte()
		if err != nil {
			return out, err
		}
		if pendingCR {
			pendingCR = false
			if c != '\n' {
				put('\r')
			}
		}
		if c == '\r' {
			pendingCR = true
			continue
		}
		put(c)
	}
	if pendingCR {
		put('\r')
	}
	return out, bw.Flush()
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
