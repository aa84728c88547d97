package remote

import (
	"bufio"
	"errors"
	"io"
	"strconv"
)

// ErrBadNetstring reports bytes that are not a netstring
// (https://cr.yp.to/proto/netstrings.txt): no digits, a leading zero
// before more digits, a length over the limit, or no comma at the end.
var ErrBadNetstring = errors.New("malformed netstring")

// AppendNetstring appends s as a netstring: its length in decimal, ':',
// the bytes, ','.
func AppendNetstring(dst []byte, s []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, ',')
}

// ReadNetstring reads one netstring of at most max bytes of content.
func ReadNetstring(br *bufio.Reader, max int) ([]byte, error) {
	n, digits := 0, 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil, err
		}
		if c == ':' {
			break
		}
		if c < '0' || c > '9' || (digits == 1 && n == 0) {
			return nil, ErrBadNetstring
		}
		n = n*10 + int(c-'0')
		digits++
		if n > max {
			return nil, ErrBadNetstring
		}
	}
	if digits == 0 {
		return nil, ErrBadNetstring
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(br, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if b[n] != ',' {
		return nil, ErrBadNetstring
	}
	return b[:n], nil
}
