package logfield

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	cases := []struct {
		why, in string
		max     int
		want    string
	}{
		{"a plain field is kept", "joe@example.com", 200, "joe@example.com"},
		{"spaces would split the record", "a b\tc", 200, "a?b?c"},
		{"CR LF would start a forged record", "x\r\nqmail-smtpd: Accept::", 200, "x??qmail-smtpd:?Accept::"},
		{"bytes above ASCII, DEL and NUL", "\xc3\xa9\x7f\x00", 200, "????"},
		{"empty stays empty", "", 200, ""},
		{"cut at max and marked", strings.Repeat("a", 10), 4, "aaaa..."},
		{"exactly max is not cut", "abcd", 4, "abcd"},
	}
	for _, c := range cases {
		if got := Clean(c.in, c.max); got != c.want {
			t.Errorf("%s: Clean(%q, %d) = %q, want %q", c.why, c.in, c.max, got, c.want)
		}
	}
}
