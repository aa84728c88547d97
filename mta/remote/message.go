package remote

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"unicode/utf8"
)

// Message is the message qmail-remote was given on fd 0, as the queue
// stores it: lines ending in LF, though a CR may stand alone (qmail-smtpd
// and qmail-inject keep one that is not followed by LF) or before the LF.
type Message struct {
	r        io.ReadSeeker
	start    int64 // where the message begins in r
	Size     int64 // bytes as stored
	Lines    int64 // LF-terminated lines
	CRLF     int64 // CR LF pairs among them
	BareCR   int64 // CRs not followed by LF
	EightBit bool  // a byte above 127 somewhere
	Partial  bool  // the last line has no LF
	// HeaderUTF8: the header section has bytes above 127 and is valid
	// UTF-8 (RFC 6532), so it can go only with SMTPUTF8. Raw 8-bit
	// headers in another charset go as before.
	HeaderUTF8 bool
}

// maxHeaderScan bounds how much of a header section is checked for
// UTF-8; a longer one is judged by its start.
const maxHeaderScan = 1 << 20

// OpenMessage scans the message once for its size, its line ends and
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
		if n > 0 && last == '\r' {
			// A CR ended the chunk before.
			if chunk[0] == '\n' {
				m.CRLF++
			} else {
				m.BareCR++
			}
		}
		for p := chunk; ; {
			i := bytes.IndexByte(p, '\r')
			if i < 0 || i == len(p)-1 {
				break // a CR at the end is counted with the next chunk
			}
			if p[i+1] == '\n' {
				m.CRLF++
			} else {
				m.BareCR++
			}
			p = p[i+1:]
		}
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
	if last == '\r' {
		m.BareCR++
	}
	m.Partial = last != '\n'
	if m.EightBit {
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return nil, err
		}
		h, err := header(rs)
		if err != nil {
			return nil, err
		}
		m.HeaderUTF8 = !ascii(h) && utf8.Valid(h)
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, err
	}
	return m, nil
}

// header reads the header section: the lines up to the first empty one
// (or the end), at most maxHeaderScan bytes.
func header(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, maxHeaderScan))
	var h []byte
	bol := true // at the start of a line
	for {
		line, err := br.ReadSlice('\n')
		if bol && (string(line) == "\n" || string(line) == "\r\n") {
			return h, nil
		}
		h = append(h, line...)
		bol = err == nil
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			// A header cut at the limit may end inside a character.
			if len(h) == maxHeaderScan {
				for i := 0; i < utf8.UTFMax && len(h) > 0 && !utf8.Valid(h); i++ {
					h = h[:len(h)-1]
				}
			}
			return h, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// NeedsSMTPUTF8 says why env and m can go only to a server that offers
// SMTPUTF8 (RFC 6531 3.4): an address with non-ASCII characters in
// UTF-8, or UTF-8 header fields; "" when they need nothing. Bytes above
// 127 that are not UTF-8 go as qmail sends them (quoted in addresses). The text ends in RFC
// 6531's enhanced status code.
func NeedsSMTPUTF8(env Envelope, m *Message) string {
	for _, a := range append([]string{env.Sender}, env.Recips...) {
		if !ascii([]byte(a)) && utf8.ValidString(a) {
			return "which the non-ASCII address " + a + " needs (#5.6.7)"
		}
	}
	if m.HeaderUTF8 {
		return "which the UTF-8 header fields of this message need (#5.6.9)"
	}
	return ""
}

// SMTPSize is the message's size on the wire for SIZE= (RFC 1870 section
// 4: CR LF pairs counted, the doubled dots and the final dot not): every
// line end, LF, CR LF or a bare CR, becomes CR LF.
func (m *Message) SMTPSize() int64 { return m.Size + m.Lines + m.BareCR - m.CRLF }

// QMTPSize is the size of the message's bytes in the QMTP message
// netstring, after its type byte: every line end, LF, CR LF or a bare CR,
// becomes LF.
func (m *Message) QMTPSize() int64 { return m.Size - m.CRLF }

// Reader returns the message from its start.
func (m *Message) Reader() (io.Reader, error) {
	if _, err := m.r.Seek(m.start, io.SeekStart); err != nil {
		return nil, err
	}
	return m.r, nil
}

// WriteData copies the message to w in SMTP DATA form (RFC 5321 section
// 4.5.2): every line end becomes CR LF, a line starting with '.' gets
// another '.', and the end is marked with ".\r\n". A partial last line
// is ended too (qmail-remote refuses those before it gets here). It
// returns the number of bytes read from r.
func WriteData(w *bufio.Writer, r io.Reader) (int64, error) {
	n, bol, err := copyLines(w, r, "\r\n", true)
	if err != nil {
		return n, err
	}
	if !bol {
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
	return n, w.Flush()
}

// copyLines copies a message from r to w with each line end written as
// eol, and returns the number of bytes read and whether the copy ended at
// the beginning of a line. A line end is LF, CR LF, or a CR alone:
// whatever reads the next hop's stream (an SMTP server that takes a bare
// CR or LF for a line end, RFC 5321 section 2.3.8) sees the lines this
// copy has, and a ".\r" inside a line cannot end its DATA early
// ("SMTP smuggling"). With stuff, a line that starts with '.' gets
// another (RFC 5321 section 4.5.2). A failure to read is a readError,
// unlike a failure to write.
func copyLines(w *bufio.Writer, r io.Reader, eol string, stuff bool) (n int64, bol bool, err error) {
	buf := make([]byte, 64<<10)
	bol = true
	cr := false // the byte before was a CR, which has ended its line
	for {
		k, rerr := r.Read(buf)
		n += int64(k)
		for p := buf[:k]; len(p) > 0; {
			switch p[0] {
			case '\n':
				if !cr {
					_, err = w.WriteString(eol)
				}
				bol, cr = true, false
				p = p[1:]
				continue
			case '\r':
				_, err = w.WriteString(eol)
				bol, cr = true, true
				p = p[1:]
				continue
			}
			run := p
			if i := bytes.IndexByte(run, '\n'); i >= 0 {
				run = run[:i]
			}
			if i := bytes.IndexByte(run, '\r'); i >= 0 {
				run = run[:i]
			}
			if bol && stuff && run[0] == '.' {
				w.WriteByte('.')
			}
			_, err = w.Write(run)
			bol, cr = false, false
			p = p[len(run):]
		}
		if err != nil {
			return n, bol, err
		}
		if rerr == io.EOF {
			return n, bol, nil
		}
		if rerr != nil {
			return n, bol, readError{rerr}
		}
	}
}

// readError is a failure to read the message, as opposed to a failure to
// send it: the first is "Unable to read message", the second a dropped
// connection.
type readError struct{ error }

func (e readError) Unwrap() error { return e.error }
