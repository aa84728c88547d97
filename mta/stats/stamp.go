package stats

import (
	"github.com/quail-mta/quail/tai64"
)

// maxUnixSec bounds the times a label may carry (year 2242); a label
// outside 1970..2242 is not a multilog stamp but garbage, and keeping the
// range this small keeps every difference of two times inside an int64 of
// nanoseconds.
const maxUnixSec = 1 << 33

// splitStamp takes the time stamp off the front of a log line: multilog's
// `t` label ("@" + 24 hex digits + space, read with tai64nlocal's parser)
// or its `T` accustamp ("SECONDS.MICROSECONDS "). It returns the time in
// nanoseconds since the UNIX epoch, whether there was a stamp, and the rest
// of the line. A line that starts like a stamp but is not a whole one comes
// back with ok false and bad true.
func splitStamp(line []byte) (ns int64, rest []byte, ok, bad bool) {
	if len(line) == 0 {
		return 0, line, false, false
	}
	if line[0] == '@' {
		l, n, err := tai64.ParseText(line)
		if err != nil || n != 25 || len(line) == n || line[n] != ' ' {
			return 0, line, false, true
		}
		if l.Sec < tai64.Offset || l.Sec-tai64.Offset >= maxUnixSec {
			return 0, line, false, true
		}
		return int64(l.Sec-tai64.Offset)*1e9 + int64(l.Nano%1e9), line[n+1:], true, false
	}
	if line[0] < '0' || line[0] > '9' {
		return 0, line, false, false
	}
	return splitAccustamp(line)
}

// splitAccustamp reads "SECONDS.MICROSECONDS " (multilog's T). A line that
// merely starts with a digit and is not one is an unstamped line.
func splitAccustamp(line []byte) (ns int64, rest []byte, ok, bad bool) {
	i := 0
	var sec int64
	for ; i < len(line) && line[i] >= '0' && line[i] <= '9'; i++ {
		if sec >= maxUnixSec {
			return 0, line, false, false
		}
		sec = sec*10 + int64(line[i]-'0')
	}
	if i == len(line) || line[i] != '.' || sec >= maxUnixSec {
		return 0, line, false, false
	}
	i++
	frac, digits := int64(0), 0
	for ; i < len(line) && line[i] >= '0' && line[i] <= '9'; i++ {
		if digits < 9 {
			frac = frac*10 + int64(line[i]-'0')
			digits++
		}
	}
	if digits == 0 || i == len(line) || line[i] != ' ' {
		return 0, line, false, false
	}
	for ; digits < 9; digits++ {
		frac *= 10
	}
	return sec*1e9 + frac, line[i+1:], true, false
}
