package chain

import "testing"

func TestParseLimit(t *testing.T) {
	tests := []struct {
		why    string
		in     string
		v      uint64
		eq, ok bool
	}{
		{"a number", "1000", 1000, false, true},
		{"= means the hard limit", "=", 0, true, true},
		{"the empty string scans as 0, as scan_ulong does", "", 0, false, true},
		{"leading zeros", "007", 7, false, true},
		{"a suffix is refused", "10k", 0, false, false},
		{"a sign is refused", "-1", 0, false, false},
		{"a space is refused", " 1", 0, false, false},
		{"== is not =", "==", 0, false, false},
		{"2^64 wraps to 0 as unsigned long does", "18446744073709551616", 0, false, true},
		{"2^64-1", "18446744073709551615", 1<<64 - 1, false, true},
	}
	for _, tc := range tests {
		v, eq, ok := parseLimit(tc.in)
		if v != tc.v || eq != tc.eq || ok != tc.ok {
			t.Errorf("%s: parseLimit(%q) = %d, %v, %v; want %d, %v, %v", tc.why, tc.in, v, eq, ok, tc.v, tc.eq, tc.ok)
		}
	}
}
