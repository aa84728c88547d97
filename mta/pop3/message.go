package pop3

import (
	"bufio"
	"io"
)

// readError wraps a failure reading the message file, as opposed to
// writing to the client.
type readError struct{ err error }

func (e *readError) Error() string { return "unable to read message: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// WriteMessage sends the message in r as a POP3 multi-line response
// body: lines end in CRLF (a CR already before the LF is not doubled),
// a line starting with '.' gets another '.', and ".\r\n" ends it. With
// bodyLines >= 0 only the header, the empty line after it and that many
// body lines are sent (TOP); a negative count sends everything (RETR).
func WriteMessage(w io.Writer, r io.Reader, bodyLines int) error {
	br := bufio.NewReaderSize(r, 32<<10)
	atStart := true  // at the start of a line
	inHeader := true // no empty line seen yet
	body := 0
	// A CR that ends a buffer-full chunk may be the first half of a CR LF
	// line end; it is held back until the next byte is known.
	pendingCR := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			complete := chunk[len(chunk)-1] == '\n'
			if atStart {
				if !inHeader && bodyLines >= 0 {
					if body == bodyLines {
						break
					}
					body++
				}
				if complete && (len(chunk) == 1 || len(chunk) == 2 && chunk[0] == '\r') {
					inHeader = false
				}
				if chunk[0] == '.' {
					if _, werr := w.Write([]byte{'.'}); werr != nil {
						return werr
					}
				}
			}
			if pendingCR {
				pendingCR = false
				if chunk[0] != '\n' {
					if _, werr := w.Write([]byte{'\r'}); werr != nil {
						return werr
					}
				}
			}
			line := chunk
			if !complete && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
				pendingCR = true
			}
			if complete {
				line = line[:len(line)-1]
				if len(line) > 0 && line[len(line)-1] == '\r' {
					line = line[:len(line)-1]
				}
			}
			if _, werr := w.Write(line); werr != nil {
				return werr
			}
			if complete {
				if _, werr := w.Write([]byte("\r\n")); werr != nil {
					return werr
				}
			}
			atStart = complete
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if pendingCR {
				if _, werr := w.Write([]byte{'\r'}); werr != nil {
					return werr
				}
			}
			if !atStart {
				// A last line without LF still ends in CRLF on the wire.
				if _, werr := w.Write([]byte("\r\n")); werr != nil {
					return werr
				}
			}
			break
		}
		if err != nil {
			return &readError{err}
		}
	}
	_, err := w.Write([]byte(".\r\n"))
	return err
}
