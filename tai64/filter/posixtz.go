package filter

import (
	"encoding/binary"
	"time"
)

// posixZone makes a location of a POSIX TZ rule string such as
// "CET-1CEST,M3.5.0,M10.5.0/3", which localtime(3) accepts when no
// zoneinfo file has that name. The time package understands such rules
// only as the footer of a zoneinfo file, where they govern the times
// after the last transition; so this builds a minimal TZif version 2 file
// with one transition far in the past and the rule as its footer. A rule
// the time package cannot parse leaves UTC, as the C library does.
//
// glibc works out a rule's changes for the year of the time converted,
// except that for years before 1970 it uses 1970's; so every earlier time
// gets the offset in force at the start of 1970 (standard time in the
// north, summer time in the south). The zone's early location reproduces
// that.
//
// A rule that names a summer time without saying when it starts and ends
// ("ABC3DEF") is read by glibc from its posixrules file and by the time
// package as the US rules; the two differ.
func posixZone(rule string) (zone, error) {
	var farPast int64 = -(1 << 60) // before any time localClock converts
	var b []byte
	header := func(timecnt, typecnt, charcnt uint32) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []uint32{0, 0, 0, timecnt, typecnt, charcnt} { // isut, isstd, leap, time, type, char
			b = binary.BigEndian.AppendUint32(b, n)
		}
	}
	utc := []byte{0, 0, 0, 0, 0, 0} // offset 0, not DST, name at 0
	// Version 1 block: no transitions, the one type.
	header(0, 1, 4)
	b = append(b, utc...)
	b = append(b, "UTC\x00"...)
	// Version 2 block: one transition to the same type, 64-bit times.
	header(1, 1, 4)
	b = binary.BigEndian.AppendUint64(b, uint64(farPast))
	b = append(b, 0)
	b = append(b, utc...)
	b = append(b, "UTC\x00"...)
	b = append(b, '\n')
	b = append(b, rule...)
	b = append(b, '\n')
	loc, err := time.LoadLocationFromTZData(rule, b)
	if err != nil {
		return zone{}, err
	}
	name, offset := time.Unix(0, 0).In(loc).Zone()
	return zone{loc: loc, early: time.FixedZone(name, offset)}, nil
}
