package multilog

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, line string
		want          bool
		why           string
	}{
		{"hello", "hello", true, "a plain pattern matches itself"},
		{"hello", "hello world", false, "the whole line must match"},
		{"hello", "hell", false, "a line shorter than the pattern"},
		{"", "", true, "the empty pattern matches the empty line"},
		{"", "x", false, "and nothing else"},
		{"*", "", true, "a final star matches nothing"},
		{"*", "anything at all", true, "a final star matches the rest"},
		{"a*", "abc", true, "a final star after a prefix"},
		{"a*", "b", false, "the prefix still has to match"},
		{"named[*]: Cleaned cache *", "named[135]: Cleaned cache of 3121 RRs", true, "the example of the 0.76 manual"},
		{"*b", "xxab", true, "a star stops at the first b"},
		{"*b", "abcabc", false, "no backtracking to a later b"},
		{"*c", "abc", true, "star then the last byte"},
		{"foo*baz", "foo bar baz", false, "the star stops at the b of bar, and ar does not match az"},
		{"* fatal: *", "@400000003b4a39c23294b13c fatal: out of memory", true, "the stamp is part of the matched line"},
		{"**", "a*b", true, "a star followed by a star runs to the first star"},
		{"**", "ab", false, "which must exist"},
		{"*a", "", false, "a star needing a byte in an empty line"},
		{"a*c", "ab", false, "the byte after the star is missing"},
		{"*x*", "x", true, "the star matches the empty string"},
	}
	for _, tc := range tests {
		if got := Match([]byte(tc.pattern), []byte(tc.line)); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v: %s", tc.pattern, tc.line, got, tc.want, tc.why)
		}
	}
}

// matchByteWise is match.c's loop as written, one byte at a time, as an
// oracle for the IndexByte version.
func matchByteWise(pattern, line []byte) bool {
	p, b := 0, 0
	for {
		if p == len(pattern) {
			return b == len(line)
		}
		ch := pattern[p]
		p++
		if ch == '*' {
			if p == len(pattern) {
				return true
			}
			for {
				if b == len(line) {
					return false
				}
				if line[b] == pattern[p] {
					break
				}
				b++
			}
			continue
		}
		if b == len(line) || line[b] != ch {
			return false
		}
		b++
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("*", "")
	f.Add("a*c", "abc")
	f.Add("**", "a*b")
	f.Add("* fatal: *", "@400000003b4a39c23294b13c fatal: oops")
	f.Add("*b*b*", "abab")
	f.Add(strings.Repeat("*", 50), strings.Repeat("*", 49))
	f.Fuzz(func(t *testing.T, pattern, line string) {
		got := Match([]byte(pattern), []byte(line))
		if want := matchByteWise([]byte(pattern), []byte(line)); got != want {
			t.Fatalf("Match(%q, %q) = %v, byte-wise loop says %v", pattern, line, got, want)
		}
	})
}
