package client

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Timeouts are tcpclient's -T x+y: every address is first tried for First;
// the ones that timed out are tried again for Second.
type Timeouts struct{ First, Second time.Duration }

// DefaultTimeouts is 0.88's 2+58 seconds.
var DefaultTimeouts = Timeouts{2 * time.Second, 58 * time.Second}

// maxTimeout keeps seconds within what a time.Duration holds.
const maxTimeout = 1 << 32

// ParseTimeouts reads -T's argument: "x+y", or "x" alone, which changes
// the first timeout and keeps the second of prev.
func ParseTimeouts(s string, prev Timeouts) (Timeouts, error) {
	first, second, hasPlus := strings.Cut(s, "+")
	t := prev
	n, err := seconds(first)
	if err != nil {
		return prev, err
	}
	t.First = n
	if hasPlus {
		n, err := seconds(second)
		if err != nil {
			return prev, err
		}
		t.Second = n
	}
	return t, nil
}

func seconds(s string) (time.Duration, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > maxTimeout {
		return 0, errors.New("bad timeout " + strconv.Quote(s))
	}
	return time.Duration(n) * time.Second, nil
}
