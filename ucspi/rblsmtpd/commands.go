package rblsmtpd

import (
	"bufio"
	"io"
)

// verb is what the blocked dialogue does with a command line.
type verb int

const (
	verbReject verb = iota // any other line: the 451/553 reply
	verbAccept             // HELO, EHLO, MAIL, RSET, NOOP: 250
	verbQuit               // QUIT: 221 and the end
)

// maxVerb is the longest verb kept: the longest known verb plus a CR that a
// CRLF line leaves at its end. Anything longer cannot match, so a line of any
// length is read in constant memory.
const maxVerb = 5

// commandReader splits the client's bytes into lines as ucspi-tcp's
// commands.c does: a line ends at LF, one CR before the LF is dropped, the
// verb is everything up to the first space and is compared without regard
// to ASCII case. A NUL never matches (0.88 turns it into LF inside the line),
// and a last line without LF is not a command.
type commandReader struct {
	r *bufio.Reader
}

func newCommandReader(r io.Reader) *commandReader {
	return &commandReader{r: bufio.NewReaderSize(r, 64)}
}

// next returns the verb of the next complete line, or the read error
// (io.EOF at the end of the input).
func (c *commandReader) next() (verb, error) {
	var buf [maxVerb + 1]byte
	n := 0
	inVerb, long := true, false
	for {
		b, err := c.r.ReadByte()
		if err != nil {
			return verbReject, err
		}
		switch {
		case b == '\n':
			if long {
				return verbReject, nil
			}
			v := buf[:n]
			if inVerb && n > 0 && v[n-1] == '\r' {
				v = v[:n-1]
			}
			return classify(v), nil
		case !inVerb || long:
		case b == ' ':
			inVerb = false
		case n < len(buf):
			buf[n] = b
			n++
		default:
			long = true
		}
	}
}

func classify(v []byte) verb {
	switch {
	case equalASCIIFold(v, "quit"):
		return verbQuit
	case equalASCIIFold(v, "helo"), equalASCIIFold(v, "ehlo"), equalASCIIFold(v, "mail"),
		equalASCIIFold(v, "rset"), equalASCIIFold(v, "noop"):
		return verbAccept
	}
	return verbReject
}

// equalASCIIFold compares as djb's case_equals does: only A-Z fold. Unicode
// folding would let "rſet" pass as RSET.
func equalASCIIFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
