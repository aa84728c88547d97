package remote

import (
	"bufio"
	"bytes"
	"io"
	"os"
)

// Message is the message qmail-remote was given on fd 0, as the queue
// stores it: lines ending in LF.
type Message struct {
	r        io.ReadSeeker
	start    int64 // where the message begins in r
	Size     int64 // bytes as stored
	Lines    int64 // LF-terminated lines
	EightBit bool  // a byte above 127 somewhere
	Partial  bool  // the last line has no LF
}

// OpenMessage scans the message once for its size, its line count and
// 8-bit bytes, then rewinds it. A file that cannot seek (a pipe) is read
// into memory.
func OpenMessage(f *os.File) (*Message, error) {
	var rs io.ReadSeeker = f
	if _, err := f.Seek(0, io.SeekCurrent); err != nil {
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, err
		}
		rs = bytes.NewReader(b)
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	m := &Message{r: rs, start: start}
	buf := make([]byte, 64<<10)
	var last byte = '\n'
	for {
		n, err := rs.Read(buf)
		chunk := buf[:n]
		m.Size += int64(n)
		m.Lines += int64(bytes.Count(chunk, []byte{'\n'}))
		if !m.EightBit {
			for _, c := range chunk {
				if c >= 0x80 {
					m.EightBit = true
					break
				}
			}
		}
		if n > 0 {
			last = chunk[n-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	m.Partial = last != '\n'
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, err
	}
	return m, nil
}

// SMTPSize estimates the message's size on the wire for SIZE= (RFC 1870):
// every LF becomes CR LF.
func (m *Message) SMTPSize() int64 { return m.Size + m.Lines }

// Reader returns the message from its start.
func (m *Message) Reader() (io.Reader, error) {
	if _, err := m.r.Seek(m.start, io.SeekStart); err != nil {
		return nil, err
	}
	return m.r, nil
}

// WriteData copies the message to w in SMTP DATA form (RFC 5321 section
// 4.5.2): LF becomes CR LF, a line starting with '.' gets another '.', and
// the end is marked with ".\r\n". The message must not end in a partial
// line (qmail-remote refuses those before it gets here).
func WriteData(w *bufio.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bol := true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if bol && chunk[0] == '.' {
				w.WriteByte('.')
			}
			if chunk[len(chunk)-1] == '\n' {
				w.Write(chunk[:len(chunk)-1])
				w.WriteString("\r\n")
				bol = true
			} else {
				w.Write(chunk)
				bol = false
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError{err}
		}
	}
	if !bol {
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
	return w.Flush()
}

// readError is a failure to read the message, as opposed to a failure to
// send it: the first is "Unable to read message", the second a dropped
// connection.
type readError struct{ error }

func (e readError) Unwrap() error { return e.error }
