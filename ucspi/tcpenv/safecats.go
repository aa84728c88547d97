package tcpenv

import "strings"

// MaxLogField is how many bytes of a name safecats keeps.
const MaxLogField = 100

// Safecats cleans a field for tcpserver's log lines the way Debian's
// tcpserver (0.88 with the IPv6 patch) does: a byte outside 33..126 or '%'
// becomes '?', so that a remote name or IDENT answer cannot break a line or
// confuse syslog. Unlike plain 0.88 it leaves ':' alone (the IPv6 patch
// prints addresses with colons in the same lines anyway). A NUL ends the
// field; and a field of 100 bytes or more is cut to 100 followed by "..."
// (the original appends "..." whenever it reaches 100 bytes without
// meeting the end, so a field of exactly 100 bytes gets it too).
func Safecats(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	n := min(len(s), MaxLogField)
	b := make([]byte, 0, n+3)
	for i := 0; i < n; i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '%' {
			c = '?'
		}
		b = append(b, c)
	}
	if len(s) >= MaxLogField {
		b = append(b, "..."...)
	}
	return string(b)
}
