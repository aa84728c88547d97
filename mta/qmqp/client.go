package qmqp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/quail-mta/quail/mta/netstring"
)

// Port is QMQP's TCP port.
const Port = 628

// Client timeouts, as qmail-qmqpc's: connecting, and each read or write.
const (
	ConnectTimeout = 10 * time.Second
	IOTimeout      = 60 * time.Second
)

// Exit codes of qmail-qmqpc, which are qmail-queue's (qmail-queue(8)).
const (
	ExitOK          = 0
	ExitEnvLong     = 11 // an envelope address beyond MaxEnvelopeAddress
	ExitRefused     = 31 // the server refused the message permanently (D)
	ExitWrite       = 53 // the message could not be spooled
	ExitRead        = 54 // the message or envelope could not be read
	ExitControl     = 55 // control/qmqpservers missing or unreadable; no server usable
	ExitHome        = 61 // the qmail home is missing
	ExitTempRefused = 71 // the server refused the message for now (Z)
	ExitConnTimeout = 72 // the last server tried did not answer the connection in time
	ExitConnRefused = 73 // the last server tried refused the connection
	ExitComm        = 74 // a connected server broke off or answered nonsense
	ExitFormat      = 91 // the envelope is not in qmail-queue's format
)

// MaxEnvelopeAddress bounds one address read from the envelope
// descriptor, so a runaway writer cannot exhaust memory.
const MaxEnvelopeAddress = 1 << 20

// MaxReply bounds the server's answer.
const MaxReply = 4096

// ErrEnvelope is an envelope that is not "F" sender NUL, "T" recipient NUL
// ..., NUL.
var ErrEnvelope = errors.New("envelope format error")

// ErrMessageRead is a failure to read the message again while sending it
// (from its spool file).
var ErrMessageRead = errors.New("unable to read message")

// ErrSpool is a message that could not be written to its temporary file.
var ErrSpool = errors.New("unable to spool message")

// ErrEnvelopeLong is an envelope address beyond MaxEnvelopeAddress.
var ErrEnvelopeLong = errors.New("envelope address too long")

// ReadEnvelope reads qmail-queue's envelope.
func ReadEnvelope(r io.Reader) (sender string, rcpts []string, err error) {
	br := bufio.NewReader(r)
	item := func() (string, error) {
		var b []byte
		for {
			frag, err := br.ReadSlice(0)
			b = append(b, frag...)
			if len(b) > MaxEnvelopeAddress+2 {
				return "", ErrEnvelopeLong
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				return "", ErrEnvelope
			}
			if err != nil {
				return "", err
			}
			return string(b[:len(b)-1]), nil
		}
	}
	s, err := item()
	if err != nil {
		return "", nil, err
	}
	if len(s) < 1 || s[0] != 'F' {
		return "", nil, ErrEnvelope
	}
	sender = s[1:]
	for {
		s, err := item()
		if err != nil {
			return "", nil, err
		}
		if s == "" {
			return sender, rcpts, nil
		}
		if s[0] != 'T' {
			return "", nil, ErrEnvelope
		}
		rcpts = append(rcpts, s[1:])
	}
}

// Packet is a QMQP packet around a message the caller streams: Head, then
// the message's msgLen bytes, then Tail.
type Packet struct {
	Head []byte
	Tail []byte
}

// NewPacket frames a message of msgLen bytes with its envelope.
func NewPacket(msgLen int64, sender string, rcpts []string) Packet {
	var tail []byte
	tail = append(tail, ',')
	tail = netstring.Append(tail, []byte(sender))
	for _, r := range rcpts {
		tail = netstring.Append(tail, []byte(r))
	}
	inner := netstring.AppendLength(nil, msgLen)
	total := int64(len(inner)) + msgLen + int64(len(tail))
	head := netstring.AppendLength(nil, total)
	head = append(head, inner...)
	tail = append(tail, ',')
	return Packet{Head: head, Tail: tail}
}

// Reply is a server's answer: its letter (K, Z or D) and text.
type Reply struct {
	Code byte
	Text string
}

// ExitCode is the qmail-queue code for the answer.
func (r Reply) ExitCode() int {
	switch r.Code {
	case 'K':
		return ExitOK
	case 'D':
		return ExitRefused
	default:
		return ExitTempRefused
	}
}

// ReadReply reads the answer netstring.
func ReadReply(r netstring.Reader) (Reply, error) {
	b, err := netstring.Read(r, MaxReply)
	if err != nil {
		return Reply{}, err
	}
	if len(b) == 0 || (b[0] != 'K' && b[0] != 'Z' && b[0] != 'D') {
		return Reply{}, fmt.Errorf("answer %q: %w", b, netstring.ErrFormat)
	}
	return Reply{Code: b[0], Text: string(b[1:])}, nil
}

// ParseServer reads a line of control/qmqpservers: an IP address (port
// 628), or, as an extension, "IP:port" or "[IPv6]:port". ok is false for a
// line that is neither, which qmail-qmqpc skips.
func ParseServer(line string) (addr string, ok bool) {
	if ip := net.ParseIP(line); ip != nil {
		return net.JoinHostPort(line, strconv.Itoa(Port)), true
	}
	host, port, err := net.SplitHostPort(line)
	if err != nil || net.ParseIP(host) == nil {
		return "", false
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", false
	}
	return net.JoinHostPort(host, port), true
}

// ConnError is a failure to connect: the next server is tried.
type ConnError struct {
	Timeout bool
	Err     error
}

func (e *ConnError) Error() string { return e.Err.Error() }
func (e *ConnError) Unwrap() error { return e.Err }

// Send delivers one packet to addr: the message is read from msg (msgLen
// bytes, the caller's Packet). A *ConnError means the server could not be
// reached; any other error means the connection broke after it was made.
func Send(addr string, p Packet, msg io.Reader, msgLen int64) (Reply, error) {
	conn, err := net.DialTimeout("tcp", addr, ConnectTimeout)
	if err != nil {
		var ne net.Error
		return Reply{}, &ConnError{Timeout: errors.As(err, &ne) && ne.Timeout(), Err: err}
	}
	defer conn.Close()
	tc := newTimeoutConn(conn)
	w := bufio.NewWriterSize(tc, 64<<10)
	w.Write(p.Head)
	if n, err := io.CopyN(w, msg, msgLen); err != nil {
		if n < msgLen && tc.err == nil {
			return Reply{}, fmt.Errorf("%w: %v", ErrMessageRead, err)
		}
		return Reply{}, err
	}
	w.Write(p.Tail)
	if err := w.Flush(); err != nil {
		return Reply{}, err
	}
	return ReadReply(bufio.NewReaderSize(tc, 512))
}

// timeoutConn gives each read and write its own deadline, as qmail's
// timeoutread and timeoutwrite do, and keeps the first failure on the
// connection.
type timeoutConn struct {
	r   io.Reader
	w   io.Writer
	err error
}

func newTimeoutConn(c net.Conn) *timeoutConn {
	l := Limits{Each: IOTimeout}
	return &timeoutConn{r: l.Reader(c), w: l.Writer(c)}
}

func (t *timeoutConn) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

func (t *timeoutConn) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil && t.err == nil {
		t.err = err
	}
	return n, err
}

// Message is the message read from descriptor 0 before the first
// connection: in memory up to SpoolAbove bytes, else in an unlinked
// temporary file, since the packet declares its length up front.
type Message struct {
	mem  []byte
	file *os.File
	size int64
}

// SpoolAbove is how much of a message is kept in memory.
const SpoolAbove = 1 << 20

// ReadMessage reads all of r.
func ReadMessage(r io.Reader) (*Message, error) {
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r, SpoolAbove+1)
	if err == io.EOF {
		return &Message{mem: buf.Bytes(), size: n}, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "qmail-qmqpc")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpool, err)
	}
	os.Remove(f.Name())
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %v", ErrSpool, err)
	}
	rest, err := io.Copy(f, r)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Message{file: f, size: n + rest}, nil
}

// Size is the message's length.
func (m *Message) Size() int64 { return m.size }

// Reader reads the message from its start, once per server tried.
func (m *Message) Reader() io.Reader {
	if m.file != nil {
		return io.NewSectionReader(m.file, 0, m.size)
	}
	return bytes.NewReader(m.mem)
}

// Close releases the spool file.
func (m *Message) Close() {
	if m.file != nil {
		m.file.Close()
	}
}
