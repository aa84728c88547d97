package splogger

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// clock returns a clock that ticks one second and one microsecond a call,
// so that each stamp shows which call made it.
func clock() func() time.Time {
	t := time.Unix(1700000000, 5000)
	return func() time.Time {
		t = t.Add(time.Second + time.Microsecond)
		return t
	}
}

func records(t *testing.T, r io.Reader) []Record {
	t.Helper()
	var out []Record
	if err := Copy(r, func(rec Record) { out = append(out, rec) }, clock()); err != nil {
		t.Fatal(err)
	}
	return out
}

// The cases follow splogger.c line by line (qmail 1.03) and splogger(8).
func TestCopy(t *testing.T) {
	long := strings.Repeat("a", MaxPiece)
	tests := []struct {
		why  string
		in   string
		want []Record
	}{
		{"a plain line gets LOG_INFO and the stamp, then a space", "status: local 0/10 remote 0/20\n",
			[]Record{{LogInfo, "1700000001.000006 status: local 0/10 remote 0/20"}}},
		{"warning: selects LOG_WARNING", "warning: trouble\n",
			[]Record{{LogWarning, "1700000001.000006 warning: trouble"}}},
		{"alert: selects LOG_ALERT", "alert: unable to append to bounce message\n",
			[]Record{{LogAlert, "1700000001.000006 alert: unable to append to bounce message"}}},
		{"the prefix must start the line", " warning: x\nWarning: y\n",
			[]Record{{LogInfo, "1700000001.000006  warning: x"}, {LogInfo, "1700000002.000007 Warning: y"}}},
		{"blank lines are not logged", "\n\none\n\n",
			[]Record{{LogInfo, "1700000001.000006 one"}}},
		{"unprintable bytes become question marks", "a\tb\x00c\x7fd\xffe\r\n",
			[]Record{{LogInfo, "1700000001.000006 a?b?c?d?e?"}}},
		{"a line of exactly 799 bytes is one record", long + "\n",
			[]Record{{LogInfo, "1700000001.000006 " + long}}},
		{"byte 800 starts a continuation with the same stamp and a plus", long + "bc\nnext\n",
			[]Record{{LogInfo, "1700000001.000006 " + long}, {LogInfo, "1700000001.000006+bc"}, {LogInfo, "1700000002.000007 next"}}},
		{"a continuation keeps the first piece's priority", "warning: " + long + "\n",
			[]Record{{LogWarning, "1700000001.000006 warning: " + long[:MaxPiece-9]}, {LogWarning, "1700000001.000006+" + long[:9]}}},
		{"a line of three pieces", long + long + "z\n",
			[]Record{{LogInfo, "1700000001.000006 " + long}, {LogInfo, "1700000001.000006+" + long}, {LogInfo, "1700000001.000006+z"}}},
		{"a last line without its newline is logged (splogger.c drops it)", "one\ntwo",
			[]Record{{LogInfo, "1700000001.000006 one"}, {LogInfo, "1700000002.000007 two"}}},
		{"empty input logs nothing", "", nil},
	}
	for _, tt := range tests {
		if got := records(t, strings.NewReader(tt.in)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.why, got, tt.want)
		}
		if got := records(t, iotest.OneByteReader(strings.NewReader(tt.in))); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s, one byte at a time:\n got %v\nwant %v", tt.why, got, tt.want)
		}
	}
}

func TestCopyReadError(t *testing.T) {
	var got []Record
	err := Copy(iotest.DataErrReader(iotest.ErrReader(io.ErrClosedPipe)), func(r Record) { got = append(got, r) }, clock())
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Copy = %v, want the read error", err)
	}
	r := io.MultiReader(strings.NewReader("half a line"), iotest.ErrReader(io.ErrClosedPipe))
	got = nil
	Copy(r, func(rec Record) { got = append(got, rec) }, clock())
	if want := []Record{{LogInfo, "1700000001.000006 half a line"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("before a read error: %v, want %v", got, want)
	}
}

func TestStamp(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Unix(0, 0), "0.000000"},
		{time.Unix(1700000000, 999999999), "1700000000.999999"},
		{time.Unix(1700000000, 1000), "1700000000.000001"},
		{time.Unix(1700000000, 999), "1700000000.000000"},
	} {
		if got := Stamp(tt.t); got != tt.want {
			t.Errorf("Stamp(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

// splogger.c scans the facility with scan_ulong and hands openlog(3)
// fac << 3; glibc 2.36 takes any value inside LOG_FACMASK, 0 included,
// and keeps its default LOG_USER for one outside (checked by hand with
// Python's syslog module, which calls glibc's).
func TestFacility(t *testing.T) {
	for arg, want := range map[string]int{
		"2":                       LogMail,
		"16":                      16 << 3, // local0
		"0":                       0,
		"":                        0,
		"mail":                    0, // no digits: scan_ulong gives 0
		"3x":                      3 << 3,
		"127":                     127 << 3,
		"128":                     LogUser,
		"99999999999999999999999": LogUser,
	} {
		if got := Facility(arg); got != want {
			t.Errorf("Facility(%q) = %d, want %d", arg, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	at := time.Date(2026, 3, 5, 7, 8, 9, 0, time.Local)
	got := Format(LogWarning, LogMail, "qmail", "1700000000.000001 warning: x", at)
	want := "<20>Mar  5 07:08:09 qmail: 1700000000.000001 warning: x"
	if string(got) != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	if got := Format(LogInfo, 0, "", "t", time.Date(2026, 12, 25, 23, 59, 0, 0, time.Local)); string(got) != "<6>Dec 25 23:59:00 : t" {
		t.Errorf("empty tag, kern: %q", got)
	}
}

// FuzzCopy holds Copy to splogger's contract on any input: every record is
// a stamp, a space or a plus, and at most MaxPiece printable bytes; the
// pieces of each line, put together, are the line with unprintable bytes
// replaced; blank lines leave nothing.
func FuzzCopy(f *testing.F) {
	f.Add([]byte("status: local 0/10 remote 0/20\n"))
	f.Add([]byte("warning: x\n\nalert: y\nno newline"))
	f.Add(bytes.Repeat([]byte("x"), 2*MaxPiece+3))
	f.Add([]byte("\x00\xff\r\n\t\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var got []Record
		if err := Copy(bytes.NewReader(in), func(r Record) { got = append(got, r) }, clock()); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, l := range strings.Split(string(in), "\n") {
			if l == "" {
				continue
			}
			b := []byte(l)
			for i, c := range b {
				if c < 32 || c > 126 {
					b[i] = '?'
				}
			}
			want = append(want, string(b))
		}
		var lines []string
		for _, r := range got {
			if len(r.Text) < 19 {
				t.Fatalf("short record %q", r.Text)
			}
			stamp, sep, text := r.Text[:17], r.Text[17], r.Text[18:]
			if len(text) > MaxPiece || len(text) == 0 {
				t.Fatalf("piece of %d bytes: %q", len(text), r.Text)
			}
			switch sep {
			case ' ':
				lines = append(lines, text)
			case '+':
				if len(lines) == 0 {
					t.Fatalf("continuation first: %q", r.Text)
				}
				lines[len(lines)-1] += text
			default:
				t.Fatalf("record %q: no separator after the stamp %q", r.Text, stamp)
			}
		}
		if !reflect.DeepEqual(lines, want) {
			t.Fatalf("lines %q, want %q", lines, want)
		}
	})
}
