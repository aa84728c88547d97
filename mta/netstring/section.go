package netstring

import "io"

// Section reads the string of a netstring that itself holds netstrings
// (QMQP's packet, QMTP's recipient list): it lets through exactly the
// declared number of bytes, and an inner netstring that would run past
// them gets ErrFormat instead of the bytes after the outer string.
type Section struct {
	r Reader
	n int64
}

// NewSection reads at most n bytes of r.
func NewSection(r Reader, n int64) *Section { return &Section{r: r, n: n} }

// Remaining is how many bytes of the section are unread.
func (s *Section) Remaining() int64 { return s.n }

// ReadByte reads one byte of the section.
func (s *Section) ReadByte() (byte, error) {
	if s.n <= 0 {
		return 0, ErrFormat
	}
	c, err := s.r.ReadByte()
	if err != nil {
		return 0, unexpected(err)
	}
	s.n--
	return c, nil
}

// Read reads from the section; asking for more than it holds is ErrFormat
// once the section is used up.
func (s *Section) Read(p []byte) (int, error) {
	if s.n <= 0 {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, ErrFormat
	}
	if int64(len(p)) > s.n {
		p = p[:s.n]
	}
	n, err := s.r.Read(p)
	s.n -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// ReadLength reads an inner length, which must leave room for its string
// and comma inside the section.
func (s *Section) ReadLength() (int64, error) {
	n, err := ReadLength(s, s.n)
	if err == ErrTooLong {
		return 0, ErrFormat
	}
	if err != nil {
		return 0, err
	}
	if n >= s.n { // the comma needs a byte too
		return 0, ErrFormat
	}
	return n, nil
}
