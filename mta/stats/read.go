package stats

import (
	"bufio"
	"errors"
	"io"
)

// MaxLine is the longest line read whole; the rest of a longer line is
// skipped (multilog keeps lines whole, so only garbage is this long).
const MaxLine = 64 << 10

// Read books every line of r. Only an error of r stops it; a last line
// without its newline (a log cut short) is read as it is.
func (s *Stats) Read(r io.Reader) error {
	br := bufio.NewReaderSize(r, MaxLine)
	for {
		line, err := br.ReadSlice('\n')
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			if !long {
				s.line(line)
				long = true
			}
			_, err = br.ReadSlice('\n')
		}
		if long {
			s.Lines[LineTooLong]++
		} else if len(line) > 0 {
			s.line(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *Stats) line(b []byte) {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	ev, bad := ParseLine(b)
	if bad {
		s.Lines[LineBadStamp]++
		return
	}
	s.Add(&ev)
}
