package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestMesgCount(t *testing.T) {
	for _, c := range []struct {
		rec, why string
		n        int
		ok       bool
	}{
		{"sess=0 quit=0 mesg=1", "smtp-sink's record after the first message", 1, true},
		{"sess=12 quit=12 mesg=400", "a later record", 400, true},
		{"mesg=7", "the field alone", 7, true},
		{"sess=1 quit=1", "no message counter", 0, false},
		{"sess=1 quit=1 mesg=", "an empty counter", 0, false},
		{"sess=1 quit=1 mesg=-3", "a negative counter is not one", 0, false},
		{"sess=1 quit=1 mesg=4x", "trailing junk", 0, false},
		{"", "an empty record", 0, false},
	} {
		n, ok := mesgCount([]byte(c.rec))
		if n != c.n || ok != c.ok {
			t.Errorf("%s: mesgCount(%q) = %d, %v; want %d, %v", c.why, c.rec, n, ok, c.n, c.ok)
		}
	}
}

// smtp-sink ends its records with carriage returns; a newline (from a
// warning) also ends one, and a last record without either still counts.
func TestSplitRecords(t *testing.T) {
	sc := bufio.NewScanner(strings.NewReader("sess=0 quit=0 mesg=1\rsess=1 quit=1 mesg=1\rwarning\nsess=1 quit=1 mesg=2"))
	sc.Split(splitRecords)
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	want := []string{"sess=0 quit=0 mesg=1", "sess=1 quit=1 mesg=1", "warning", "sess=1 quit=1 mesg=2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", got, want)
	}
}

func FuzzSinkOutput(f *testing.F) {
	f.Add("sess=0 quit=0 mesg=1\rsess=1 quit=1 mesg=1\r")
	f.Add("mesg=99999999999999999999999\r")
	f.Add("\r\r\n\nmesg=\rmesg=3")
	f.Fuzz(func(t *testing.T, out string) {
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Split(splitRecords)
		for sc.Scan() {
			if n, ok := mesgCount(sc.Bytes()); ok && n < 0 {
				t.Fatalf("negative count %d from %q", n, sc.Bytes())
			}
		}
	})
}
