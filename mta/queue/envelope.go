package queue

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxAddr is qmail-queue's bound on one envelope address, NUL included:
// an address of MaxAddr bytes or more makes it exit 11.
const MaxAddr = 1003

// Envelope errors, each tied to qmail-queue's exit code by Code.
var (
	ErrAddrTooLong    = errors.New("address too long")
	ErrEnvelopeFormat = errors.New("envelope format error")
	ErrEnvelopeEOF    = errors.New("envelope ends early")
)

// CopyEnvelope reads the envelope qmail-queue gets on descriptor 1
// ("F" sender NUL, then "T" recipient NUL for each, then one more NUL) and
// writes its F and T records to dst in the same form, without the final
// NUL. It returns the sender and the number of recipients. A read error
// is returned as it came, end of input before the final NUL as
// ErrEnvelopeEOF.
func CopyEnvelope(dst *bufio.Writer, src *bufio.Reader) (sender string, recips int, err error) {
	c, err := src.ReadByte()
	if err != nil {
		return "", 0, eof(err)
	}
	if c != 'F' {
		return "", 0, ErrEnvelopeFormat
	}
	addr, err := readAddr(src)
	if err != nil {
		return "", 0, err
	}
	sender = string(addr)
	writeRecord(dst, 'F', addr)
	for {
		c, err := src.ReadByte()
		if err != nil {
			return "", 0, eof(err)
		}
		if c == 0 {
			return sender, recips, nil
		}
		if c != 'T' {
			return "", 0, ErrEnvelopeFormat
		}
		addr, err := readAddr(src)
		if err != nil {
			return "", 0, err
		}
		writeRecord(dst, 'T', addr)
		recips++
	}
}

func writeRecord(w *bufio.Writer, kind byte, addr []byte) {
	w.WriteByte(kind)
	w.Write(addr)
	w.WriteByte(0)
}

func eof(err error) error {
	if err == io.EOF {
		return ErrEnvelopeEOF
	}
	return err
}

// readAddr reads up to the NUL that ends an address, refusing one of
// MaxAddr bytes or more as qmail-queue does.
func readAddr(r *bufio.Reader) ([]byte, error) {
	var addr []byte
	for len(addr) < MaxAddr {
		c, err := r.ReadByte()
		if err != nil {
			return nil, eof(err)
		}
		if c == 0 {
			return addr, nil
		}
		addr = append(addr, c)
	}
	return nil, ErrAddrTooLong
}

// Todo is what qmail-queue left in todo/N: who ran it and the envelope.
type Todo struct {
	UID, PID string
	Sender   string
	Recips   []string
}

// ParseTodo reads a todo file: NUL-ended records whose first byte says
// what they are (u uid, p pid, F sender, T recipient). Unknown records
// are skipped, as qmail-send skips them. A file without a sender or with a
// record cut short is refused: todo files are complete by construction.
func ParseTodo(b []byte) (Todo, error) {
	var t Todo
	haveSender := false
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return Todo{}, ErrEnvelopeEOF
		}
		rec := b[:i]
		b = b[i+1:]
		if len(rec) == 0 {
			continue
		}
		v := string(rec[1:])
		switch rec[0] {
		case 'u':
			t.UID = v
		case 'p':
			t.PID = v
		case 'F':
			t.Sender = v
			haveSender = true
		case 'T':
			t.Recips = append(t.Recips, v)
		}
	}
	if !haveSender {
		return Todo{}, ErrEnvelopeFormat
	}
	return t, nil
}

// Recip is one entry of a local/ or remote/ file.
type Recip struct {
	Offset int64 // of the T/D byte, for marking it done in place
	Done   bool
	Addr   string
}

// ParseRecips reads a local/ or remote/ file: "T" or "D", the address,
// NUL, for each recipient. An entry cut short (a crash while qmail-send
// wrote the file cannot leave one, since the file is fsync'd before
// todo/N goes) or of another kind is skipped.
func ParseRecips(b []byte) []Recip {
	var out []Recip
	off := 0
	for off < len(b) {
		i := bytes.IndexByte(b[off:], 0)
		if i < 0 {
			break
		}
		rec := b[off : off+i]
		if len(rec) > 0 && (rec[0] == 'T' || rec[0] == 'D') {
			out = append(out, Recip{Offset: int64(off), Done: rec[0] == 'D', Addr: string(rec[1:])})
		}
		off += i + 1
	}
	return out
}

// FormatRecips renders a recipient list with every entry to do.
func FormatRecips(addrs []string) []byte {
	var b []byte
	for _, a := range addrs {
		b = append(b, 'T')
		b = append(b, a...)
		b = append(b, 0)
	}
	return b
}

// ParseInfo returns the sender recorded in an info file.
func ParseInfo(b []byte) (string, bool) {
	if len(b) == 0 || b[0] != 'F' {
		return "", false
	}
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", false
	}
	return string(b[1:i]), true
}
