package multilog

import "bytes"

// Match reports whether pattern matches all of line with the rules of
// daemontools 0.76 (match.c): a byte other than '*' matches itself; a '*'
// at the end of the pattern matches the rest of the line; a '*' followed by
// the byte c matches everything up to, not including, the first c, with no
// backtracking, so "*c" fails when the first c is not where the rest of the
// pattern needs it.
func Match(pattern, line []byte) bool {
	for {
		if len(pattern) == 0 {
			return len(line) == 0
		}
		ch := pattern[0]
		pattern = pattern[1:]
		if ch == '*' {
			if len(pattern) == 0 {
				return true
			}
			i := bytes.IndexByte(line, pattern[0])
			if i < 0 {
				return false
			}
			line = line[i:]
			continue
		}
		if len(line) == 0 || line[0] != ch {
			return false
		}
		line = line[1:]
	}
}
