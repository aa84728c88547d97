package filter

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/quail-mta/quail/tai64"
)

func TestLocalize(t *testing.T) {
	tests := []struct {
		why, in, want string
	}{
		{"a full label", "@400000006a0000003b9ac9ff x\n", "2026-05-10 03:48:06.999999999 x\n"},
		{"the epoch label", "@400000000000000a00000000 x\n", "1970-01-01 00:00:00.000000000 x\n"},
		{"the byte ending the digits is kept", "@400000000000000a00000000\tx\n", "1970-01-01 00:00:00.000000000\tx\n"},
		{"a label ended by the newline", "@400000000000000a00000000\n", "1970-01-01 00:00:00.000000000\n"},
		{"lines not starting with @ pass", "x @400000000000000a00000000\n", "x @400000000000000a00000000\n"},
		{"only the line start is looked at", "a\n@400000000000000a00000000 b\nc\n", "a\n1970-01-01 00:00:00.000000000 b\nc\n"},
		{"uppercase hex ends the label", "@400000000000000a00000000A\n", "1970-01-01 00:00:00.000000000A\n"},
		{"digits beyond 24 shift the first ones out", "@ff400000000000000a00000000\n", "1970-01-01 00:00:00.000000000\n"},
		{"a short label counts from the right", "@3fffffffffffffff00000000 x\n", "1969-12-31 23:59:49.000000000 x\n"},
		{"nanoseconds above 999999999 print in full", "@400000000000000a3b9aca00 q\n", "1970-01-01 00:00:00.1000000000 q\n"},
		{"a year past 9999 is not padded or cut", "@400000ffffffffff00000000 x\n", "36812-02-20 00:36:05.000000000 x\n"},
		{"a time localtime cannot hold is written back as a label", "@ a\n", "@000000000000000000000000 a\n"},
		{"a label cut by the end of input is dropped", "a\n@4000", "a\n"},
		{"a lone @ at the end is dropped", "@", ""},
		{"a partial last line passes", "abc", "abc"},
		{"empty lines pass", "\n\n", "\n\n"},
	}
	for _, tc := range tests {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			var out bytes.Buffer
			if err := Localize(r, &out, time.UTC); err != nil {
				t.Errorf("%s: %v", tc.why, err)
			}
			if out.String() != tc.want {
				t.Errorf("%s (one byte reads %v): Localize(%q) = %q, want %q", tc.why, oneByte, tc.in, out.String(), tc.want)
			}
		}
	}
}

func TestLocalizeZone(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no zoneinfo: %v", err)
	}
	var out bytes.Buffer
	// 2026-07-01 12:00:00 UTC is 08:00 EDT; 2026-01-01 12:00 UTC is 07:00 EST.
	summer := tai64.FromTime(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC))
	winter := tai64.FromTime(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	in := summer.String() + "\n" + winter.String() + "\n"
	if err := Localize(strings.NewReader(in), &out, loc); err != nil {
		t.Fatal(err)
	}
	want := "2026-07-01 08:00:00.000000000\n2026-01-01 07:00:00.000000000\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestLocalZone(t *testing.T) {
	jan := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	jul := time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)
	old := time.Date(1960, 7, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		why           string
		env           []string
		jan, jul, old int // UTC offsets in hours
	}{
		{"empty TZ is UTC", []string{"TZ="}, 0, 0, 0},
		{"a leading colon is dropped", []string{"TZ=:Europe/Berlin"}, 1, 2, 1},
		{"an unknown name that is no rule either is UTC", []string{"TZ=No/Such_Zone"}, 0, 0, 0},
		{"a named zone", []string{"TZ=Europe/Berlin"}, 1, 2, 1},
		{"a POSIX rule without summer time", []string{"TZ=XYZ-3"}, 3, 3, 3},
		{"a POSIX rule with summer time", []string{"TZ=CET-1CEST,M3.5.0,M10.5.0/3"}, 1, 2, 1},
		{"before 1970 a southern rule is in summer time, as in glibc", []string{"TZ=NZST-12NZDT,M9.5.0,M4.1.0/3"}, 13, 12, 13},
	}
	for _, tc := range tests {
		z := localZone(tc.env)
		offset := func(at time.Time) int {
			loc := z.loc
			if at.Unix() < 0 && z.early != nil {
				loc = z.early
			}
			_, off := at.In(loc).Zone()
			return off / 3600
		}
		if j, l, o := offset(jan), offset(jul), offset(old); j != tc.jan || l != tc.jul || o != tc.old {
			t.Errorf("%s: localZone(%q) offsets %d, %d, %d; want %d, %d, %d", tc.why, tc.env, j, l, o, tc.jan, tc.jul, tc.old)
		}
	}
}

// FuzzLocalize feeds arbitrary input: no panic, and reading it one byte at
// a time gives the same output as reading it whole.
func FuzzLocalize(f *testing.F) {
	for _, s := range []string{"", "@", "@\n", "@4000000000000000", "@400000006a0000003b9ac9ff x\n", "a\n@ff\n@@\n", "@ffffffffffffffffffffffffffffffff\n", "@1\n@0000000000000000000000000000"} {
		f.Add([]byte(s))
	}
	loc, err := time.LoadLocation("Australia/Lord_Howe")
	if err != nil {
		loc = time.UTC
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var whole, bytewise bytes.Buffer
		if err := Localize(bytes.NewReader(data), &whole, loc); err != nil {
			t.Fatal(err)
		}
		if err := Localize(iotest.OneByteReader(bytes.NewReader(data)), &bytewise, loc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(whole.Bytes(), bytewise.Bytes()) {
			t.Fatalf("whole %q, bytewise %q", whole.Bytes(), bytewise.Bytes())
		}
		if !bytes.HasPrefix(data, []byte("@")) && !bytes.Contains(data, []byte("\n@")) && !bytes.Equal(whole.Bytes(), data) {
			t.Fatalf("input without labels changed: %q -> %q", data, whole.Bytes())
		}
	})
}

// The streaming parser reads a label as tai64.ParseText does, whatever the
// number of digits.
func TestLocalizeAgreesWithParseText(t *testing.T) {
	for _, label := range []string{"@", "@0", "@4000000069000000", "@400000006900000000000000", "@ff400000006900000012345678",
		"@3fffffffffffffff00000000", "@4000000069000000abcdef01", "@400000000000000a3b9aca00"} {
		in := label + " x\n"
		l, n, err := tai64.ParseText([]byte(in))
		if err != nil || n != len(label) {
			t.Fatalf("ParseText(%q) = %v, %d, %v", in, l, n, err)
		}
		want := string(newLocalClock(zone{loc: time.UTC}).appendStamp(nil, l)) + " x\n"
		var out bytes.Buffer
		if err := Localize(strings.NewReader(in), &out, time.UTC); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("Localize(%q) = %q; ParseText's label gives %q", in, out.String(), want)
		}
	}
}
