package filter

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/tai64"
)

// Tai64nlocal runs tai64nlocal(8): every line that starts with "@" has the
// hex digits that follow read as a TAI64N label and replaced by the local
// time it stands for, YYYY-MM-DD HH:MM:SS.NNNNNNNNN; the rest of the line,
// starting with the byte that ended the digits, and every other line pass
// unchanged. The time zone comes from $TZ as in the C library. It exits 0
// at end of input, 111 when it cannot read or write.
func Tai64nlocal(inv *cli.Invocation) int {
	return filterExit(inv, localize(inv.Stdin, inv.Stdout, localZone(inv.Env)))
}

// zone is where tai64nlocal's times are shown: loc, except before 1970
// when early is set (see posixZone).
type zone struct {
	loc, early *time.Location
}

// Localize is tai64nlocal's filter, converting to times in loc.
//
// The label is read as the original reads it (tai64.ParseText describes
// the register it shifts digits through). A label cut short by the end of
// input is dropped, as the original drops it. Where the original's
// localtime fails and it crashes (a year beyond what struct tm holds,
// which is what "@" followed by anything but a real label gives), the
// label is written back as "@" and the 24 hex digits it was read as.
func Localize(r io.Reader, w io.Writer, loc *time.Location) error {
	return localize(r, w, zone{loc: loc})
}

func localize(r io.Reader, w io.Writer, z zone) error {
	f := newFilter(r, w)
	c := newLocalClock(z)
	const (
		lineStart = iota
		inLabel
		inLine
	)
	state := lineStart
	var sec uint64
	var nano uint32
	for {
		chunk, err := f.read()
		if err == io.EOF {
			return f.flush()
		}
		if err != nil {
			return err
		}
		for len(chunk) > 0 {
			switch state {
			case lineStart:
				if chunk[0] == '@' {
					state, sec, nano = inLabel, 0, 0
					chunk = chunk[1:]
					continue
				}
				state = inLine
			case inLabel:
				i := 0
				for ; i < len(chunk); i++ {
					v := hexDigit[chunk[i]]
					if v < 0 {
						break
					}
					sec = sec<<4 | uint64(nano>>28)
					nano = nano<<4 | uint32(v)
				}
				chunk = chunk[i:]
				if len(chunk) > 0 {
					f.out = c.appendStamp(f.out, tai64.Label{Sec: sec, Nano: nano})
					state = inLine
				}
			case inLine:
				line := chunk
				if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
					line = chunk[:i+1]
					state = lineStart
				}
				f.out = append(f.out, line...)
				chunk = chunk[len(line):]
				if err := f.spill(); err != nil {
					return err
				}
			}
		}
	}
}

// hexDigit maps a byte to its value as a lowercase hex digit, or -1.
var hexDigit = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "0123456789abcdef" {
		t[c] = int8(i)
	}
	return t
}()

// localClock formats labels as local times. Consecutive lines mostly fall
// in the same second, so the formatted date and time of the last second is
// kept.
type localClock struct {
	zone    zone
	lastSec int64
	valid   bool // last holds lastSec's text, or lastBad says it has none
	lastBad bool
	last    []byte
}

func newLocalClock(z zone) *localClock {
	return &localClock{zone: z, last: make([]byte, 0, 48)}
}

// maxLocalSec bounds the seconds handed to the time package, far beyond
// the years struct tm can hold (an int counted from 1900) and far within
// what the time package computes correctly.
const maxLocalSec = 1 << 59

func (c *localClock) appendStamp(dst []byte, l tai64.Label) []byte {
	secs := int64(l.Sec - tai64.Offset)
	if !c.valid || secs != c.lastSec {
		c.lastSec, c.valid, c.lastBad = secs, true, false
		c.last = c.last[:0]
		if secs > maxLocalSec || secs < -maxLocalSec {
			c.lastBad = true
		} else {
			loc := c.zone.loc
			if secs < 0 && c.zone.early != nil {
				loc = c.zone.early
			}
			t := time.Unix(secs, 0).In(loc)
			year := int64(t.Year())
			if year-1900 > 1<<31-1 || year-1900 < -1<<31 {
				c.lastBad = true
			} else {
				c.last = appendDateTime(c.last, year, t)
			}
		}
	}
	if c.lastBad {
		return l.AppendText(dst)
	}
	dst = append(dst, c.last...)
	dst = append(dst, '.')
	return appendPadded(dst, uint64(l.Nano), 9)
}

// appendDateTime writes the date and time as the original's fmt_ulong and
// fmt_uint0 calls do: the year unpadded and, when negative, as the
// unsigned long the int converts to.
func appendDateTime(dst []byte, year int64, t time.Time) []byte {
	dst = strconv.AppendUint(dst, uint64(year), 10)
	dst = append(dst, '-')
	dst = appendPadded(dst, uint64(t.Month()), 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, uint64(t.Day()), 2)
	dst = append(dst, ' ')
	dst = appendPadded(dst, uint64(t.Hour()), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, uint64(t.Minute()), 2)
	dst = append(dst, ':')
	return appendPadded(dst, uint64(t.Second()), 2)
}

// appendPadded writes v in decimal with at least width digits.
func appendPadded(dst []byte, v uint64, width int) []byte {
	var b [20]byte
	i := len(b)
	for v >= 10 || width > 1 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	b[i] = byte('0' + v)
	return append(dst, b[i:]...)
}

// localZone finds the zone localtime(3) would use for env's $TZ: unset
// means /etc/localtime, empty means UTC, a leading ':' is dropped, an
// absolute name is a file, any other name is looked up in the zoneinfo
// database, and a name that is no zone there is read as a POSIX rule
// string ("CET-1CEST,M3.5.0,M10.5.0/3"). What cannot be understood is UTC,
// as in the C library.
func localZone(env []string) zone {
	tz, ok := cli.Lookup(env, "TZ")
	if !ok {
		tz = "/etc/localtime"
	}
	tz = strings.TrimPrefix(tz, ":")
	utc := zone{loc: time.UTC}
	if tz == "" || tz == "UTC" {
		return utc
	}
	if strings.HasPrefix(tz, "/") {
		data, err := os.ReadFile(tz)
		if err != nil {
			return utc
		}
		loc, err := time.LoadLocationFromTZData("Local", data)
		if err != nil {
			return utc
		}
		return zone{loc: loc}
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		return zone{loc: loc}
	}
	if z, err := posixZone(tz); err == nil {
		return z
	}
	return utc
}
