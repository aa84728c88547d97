package chain

import (
	"bytes"
	"strings"
	"testing"
)

// naiveShift is the original's loop, one byte at a time.
func naiveShift(title []byte, in []byte) {
	for _, c := range in {
		if c == 0 {
			continue
		}
		copy(title[3:], title[4:])
		title[len(title)-1] = c
	}
}

func TestShiftTitle(t *testing.T) {
	tests := []struct {
		why, title, in, want string
	}{
		{"bytes enter at the right", "ab:.....", "xy", "ab:...xy"},
		{"the first three bytes stay", "abcde", "123456789", "abc89"},
		{"NULs are skipped", "abc....", "x\x00y", "abc..xy"},
		{"only NULs change nothing", "abc....", "\x00\x00", "abc...."},
		{"newlines are shown like any byte", "abc....", "a\nb", "abc.a\nb"},
		{"exactly the tail's length", "abc....", "wxyz", "abcwxyz"},
		{"more than a read buffer", "abc" + strings.Repeat(".", 400), strings.Repeat("q", 5000) + "end", "abc" + strings.Repeat("q", 397) + "end"},
	}
	for _, tc := range tests {
		title := []byte(tc.title)
		changed := shiftTitle(title, []byte(tc.in))
		if string(title) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.why, title, tc.want)
		}
		if changed != (strings.Trim(tc.in, "\x00") != "") {
			t.Errorf("%s: changed = %v", tc.why, changed)
		}
		naive := []byte(tc.title)
		naiveShift(naive, []byte(tc.in))
		if !bytes.Equal(naive, title) {
			t.Errorf("%s: differs from the byte-at-a-time loop: %q", tc.why, naive)
		}
	}
}

func FuzzShiftTitle(f *testing.F) {
	f.Add([]byte("abcde"), []byte("hello\x00world"))
	f.Add([]byte("service errors: ....."), []byte(""))
	f.Fuzz(func(t *testing.T, title, in []byte) {
		if len(title) < 5 {
			return
		}
		got := bytes.Clone(title)
		shiftTitle(got, in)
		want := bytes.Clone(title)
		naiveShift(want, in)
		if !bytes.Equal(got, want) {
			t.Fatalf("shiftTitle(%q, %q) = %q, want %q", title, in, got, want)
		}
	})
}
