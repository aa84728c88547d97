// Package tai64 implements the TAI64 and TAI64N labels of
// https://cr.yp.to/libtai/tai64.html with daemontools' conversion from UNIX
// time: label = 2^62 + 10 + UNIX seconds, with no leap-second table. The
// offset of 10 makes the labels agree with daemontools' own (tai64n,
// multilog, supervise's status file), which is what every reader of them
// expects; they are therefore not true TAI.
//
// daemontools takes the time from gettimeofday and stores microseconds as
// 1000*usec + 500 nanoseconds; Now does the same so that labels written by
// quail and by daemontools are indistinguishable.
package tai64

import (
	"encoding/binary"
	"errors"
	"time"
)

// Offset is the label of the UNIX epoch in daemontools' reckoning.
const Offset = uint64(1)<<62 + 10

// Label is a TAI64N label: seconds and nanoseconds.
type Label struct {
	Sec  uint64 // TAI64 seconds, Offset at the UNIX epoch
	Nano uint32 // 0 .. 999999999
}

// FromTime converts t to a label, keeping nanoseconds as they are.
func FromTime(t time.Time) Label {
	return Label{Sec: uint64(t.Unix()) + Offset, Nano: uint32(t.Nanosecond())}
}

// Now returns the current time as daemontools would label it: microsecond
// precision, each ending in 500 nanoseconds.
func Now() Label {
	t := time.Now()
	us := t.Nanosecond() / 1000
	return Label{Sec: uint64(t.Unix()) + Offset, Nano: uint32(us*1000 + 500)}
}

// Time converts the label back to a time.Time.
func (l Label) Time() time.Time {
	return time.Unix(int64(l.Sec-Offset), int64(l.Nano))
}

// Pack writes the 12-byte external TAI64N form: seconds and nanoseconds,
// both big-endian.
func (l Label) Pack(b []byte) {
	binary.BigEndian.PutUint64(b[0:8], l.Sec)
	binary.BigEndian.PutUint32(b[8:12], l.Nano)
}

// Unpack reads the 12-byte external TAI64N form.
func Unpack(b []byte) Label {
	return Label{Sec: binary.BigEndian.Uint64(b[0:8]), Nano: binary.BigEndian.Uint32(b[8:12])}
}

const hexdigits = "0123456789abcdef"

// AppendText appends the 25-byte text form "@" + 24 lowercase hex digits,
// as tai64n and multilog's t write it (without the following space).
func (l Label) AppendText(dst []byte) []byte {
	var raw [12]byte
	l.Pack(raw[:])
	dst = append(dst, '@')
	for _, c := range raw {
		dst = append(dst, hexdigits[c>>4], hexdigits[c&15])
	}
	return dst
}

// String returns the text form.
func (l Label) String() string { return string(l.AppendText(nil)) }

// ErrSyntax is returned for text that is not a TAI64N label.
var ErrSyntax = errors.New("not a TAI64N label")

// ParseText reads a label in text form from the start of s exactly as
// daemontools' tai64nlocal does: "@", then lowercase hex digits up to the
// first byte that is not one, shifted through a 96-bit register whose last
// 32 bits are the nanoseconds. A short label therefore counts from the
// right, and a long one keeps only its last 24 digits. It returns the label
// and how many bytes it used (the "@" and the digits).
func ParseText(s []byte) (Label, int, error) {
	if len(s) == 0 || s[0] != '@' {
		return Label{}, 0, ErrSyntax
	}
	var sec uint64
	var nano uint32
	n := 1
	for ; n < len(s); n++ {
		v, ok := hexValue(s[n])
		if !ok {
			break
		}
		sec = sec<<4 | uint64(nano>>28)
		nano = nano<<4 | uint32(v)
	}
	return Label{Sec: sec, Nano: nano}, n, nil
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
