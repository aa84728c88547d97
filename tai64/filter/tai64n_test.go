package filter

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/quail-mta/quail/tai64"
)

// counterClock returns labels 1, 2, 3 ... seconds after the epoch label,
// so each stamp shows which call made it.
func counterClock() func() tai64.Label {
	n := uint64(0)
	return func() tai64.Label {
		n++
		return tai64.Label{Sec: tai64.Offset + n, Nano: 500}
	}
}

func stampLabel(n uint64) string {
	return tai64.Label{Sec: tai64.Offset + n, Nano: 500}.String() + " "
}

func TestStamp(t *testing.T) {
	tests := []struct {
		why, in string
		want    []string // the output is these joined, stamp k before part k
	}{
		{"no input, no output", "", nil},
		{"one line", "a\n", []string{"a\n"}},
		{"several lines get one stamp each", "a\nb\nc\n", []string{"a\n", "b\n", "c\n"}},
		{"a last line without newline is stamped and copied", "a\nb", []string{"a\n", "b"}},
		{"an empty line is a line", "\n\n", []string{"\n", "\n"}},
		{"NULs and CRs are data", "a\x00\r\n", []string{"a\x00\r\n"}},
		{"a line longer than the buffers", strings.Repeat("x", 3*streamBuf) + "\n", []string{strings.Repeat("x", 3*streamBuf) + "\n"}},
	}
	for _, tc := range tests {
		var want strings.Builder
		for i, part := range tc.want {
			want.WriteString(stampLabel(uint64(i + 1)))
			want.WriteString(part)
		}
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			var out bytes.Buffer
			if err := Stamp(r, &out, counterClock()); err != nil {
				t.Errorf("%s (one byte reads %v): %v", tc.why, oneByte, err)
			}
			if out.String() != want.String() {
				t.Errorf("%s (one byte reads %v): got %q, want %q", tc.why, oneByte, trim(out.String()), trim(want.String()))
			}
		}
	}
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:100] + "..." + s[len(s)-100:]
	}
	return s
}

// flushWatcher is an input that records, at each read, what the output
// had received by then.
type flushWatcher struct {
	chunks []string
	out    *bytes.Buffer
	seen   []string
}

func (fw *flushWatcher) Read(p []byte) (int, error) {
	fw.seen = append(fw.seen, fw.out.String())
	if len(fw.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, fw.chunks[0])
	fw.chunks = fw.chunks[1:]
	return n, nil
}

// The filter must not sit on output while it waits for input: before each
// read, everything it has made so far has been written. That is what makes
// `prog | tai64n | ...` show lines as they come.
func TestStampFlushesBeforeEachRead(t *testing.T) {
	var out bytes.Buffer
	fw := &flushWatcher{chunks: []string{"a\nb", "c\n"}, out: &out}
	if err := Stamp(fw, &out, counterClock()); err != nil {
		t.Fatal(err)
	}
	want := []string{"", stampLabel(1) + "a\n" + stampLabel(2) + "b", stampLabel(1) + "a\n" + stampLabel(2) + "bc\n"}
	if strings.Join(fw.seen, "|") != strings.Join(want, "|") {
		t.Errorf("output seen at each read = %q, want %q", fw.seen, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestStampErrors(t *testing.T) {
	err := Stamp(iotest.ErrReader(errors.New("boom")), io.Discard, counterClock())
	var re *readError
	if !errors.As(err, &re) {
		t.Errorf("a failing input gives %v, want a read error", err)
	}
	err = Stamp(strings.NewReader("a\n"), failingWriter{}, counterClock())
	var we *writeError
	if !errors.As(err, &we) {
		t.Errorf("a failing output gives %v, want a write error", err)
	}
}

// Stamping allocates nothing per line: the buffers are made once.
func TestStampAllocations(t *testing.T) {
	in := strings.Repeat(strings.Repeat("x", 99)+"\n", 10000)
	r := strings.NewReader(in)
	allocs := testing.AllocsPerRun(5, func() {
		r.Reset(in)
		if err := Stamp(r, io.Discard, tai64.Now); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 10 {
		t.Errorf("%v allocations for 10000 lines", allocs)
	}
}
