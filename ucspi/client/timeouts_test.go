package client

import (
	"testing"
	"time"
)

func TestParseTimeouts(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		in   string
		want Timeouts
		ok   bool
		why  string
	}{
		{"2+58", Timeouts{2 * s, 58 * s}, true, "the default written out"},
		{"5", Timeouts{5 * s, 58 * s}, true, "x alone keeps the second timeout"},
		{"0+0", Timeouts{0, 0}, true, "zero is allowed"},
		{"10+", DefaultTimeouts, false, "a plus needs a number after it"},
		{"+5", DefaultTimeouts, false, "a number is needed before the plus"},
		{"", DefaultTimeouts, false, "empty"},
		{"1+2+3", DefaultTimeouts, false, "one plus only"},
		{"-1", DefaultTimeouts, false, "negative"},
		{"99999999999", DefaultTimeouts, false, "beyond what a duration holds"},
		{"3x", DefaultTimeouts, false, "trailing junk"},
	} {
		got, err := ParseTimeouts(tc.in, DefaultTimeouts)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: ParseTimeouts(%q) = %v, %v; want %v ok=%v", tc.why, tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseTimeouts(f *testing.F) {
	for _, s := range []string{"2+58", "5", "", "+", "1+2+3", "18446744073709551615+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTimeouts(s, DefaultTimeouts)
		if err != nil && got != DefaultTimeouts {
			t.Fatalf("%q: error %v but timeouts changed to %v", s, err, got)
		}
		if got.First < 0 || got.Second < 0 {
			t.Fatalf("%q: negative timeout %v", s, got)
		}
	})
}
