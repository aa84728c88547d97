// Package netstring reads and writes D. J. Bernstein's netstrings
// (https://cr.yp.to/proto/netstrings.txt): [len] ":" [string] ",", where
// [len] is the decimal length of [string] without extra leading zeros.
// QMTP (https://cr.yp.to/proto/qmtp.txt) and QMQP
// (https://cr.yp.to/proto/qmqp.html) are built from them.
//
// Reading is strict and bounded: a length with a leading zero, a byte
// other than a digit before the colon, more digits than any allowed
// length has, or a length above the caller's ceiling is refused as soon
// as it is seen, so a hostile peer never makes a reader buffer or wait
// for more than the ceiling allows.
package netstring

import (
	"errors"
	"io"
	"strconv"
)

// MaxLength is the longest string any reader here accepts, whatever its
// caller asks: qmail's readers give up on lengths of about two billion.
const MaxLength = 2_000_000_000

var (
	// ErrFormat is a netstring that breaks the encoding: a non-digit or a
	// leading zero in the length, a missing colon or comma, or an inner
	// netstring that runs past the end of the one holding it.
	ErrFormat = errors.New("netstring: bad format")
	// ErrTooLong is a length above the reader's ceiling.
	ErrTooLong = errors.New("netstring: length over limit")
)

// Reader is what the readers need: byte-at-a-time for the length, bulk
// for the string. *bufio.Reader and *Section are Readers.
type Reader interface {
	io.Reader
	io.ByteReader
}

// ReadLength reads "[len]:" and returns len. It refuses a length above max
// (or MaxLength) as soon as its digits exceed it. io.EOF means the input
// ended before the first byte; an end after it is io.ErrUnexpectedEOF.
func ReadLength(r io.ByteReader, max int64) (int64, error) {
	if max < 0 || max > MaxLength {
		max = MaxLength
	}
	var n int64
	for i := 0; ; i++ {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && i > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		switch {
		case c == ':' && i > 0:
			return n, nil
		case c < '0' || c > '9':
			return 0, ErrFormat
		case i == 1 && n == 0:
			return 0, ErrFormat // "0" may only be followed by ':'
		}
		n = n*10 + int64(c-'0')
		if n > max {
			return 0, ErrTooLong
		}
	}
}

// ReadComma reads the comma that ends a netstring.
func ReadComma(r io.ByteReader) error {
	c, err := r.ReadByte()
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	if c != ',' {
		return ErrFormat
	}
	return nil
}

// Read reads one netstring of at most max bytes into memory.
func Read(r Reader, max int64) ([]byte, error) {
	n, err := ReadLength(r, max)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, unexpected(err)
	}
	if err := ReadComma(r); err != nil {
		return nil, err
	}
	return b, nil
}

// Discard reads and drops n bytes: the rest of a string the reader has
// decided not to keep, as qmail skips an address that is too long.
func Discard(r io.Reader, n int64) error {
	_, err := io.CopyN(io.Discard, r, n)
	return unexpected(err)
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Append appends the netstring of s to dst.
func Append(dst, s []byte) []byte {
	dst = AppendLength(dst, int64(len(s)))
	dst = append(dst, s...)
	return append(dst, ',')
}

// AppendLength appends "[n]:", the start of a netstring whose string is
// written separately.
func AppendLength(dst []byte, n int64) []byte {
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, ':')
}

// Encode is the netstring of s.
func Encode(s string) []byte { return Append(nil, []byte(s)) }
