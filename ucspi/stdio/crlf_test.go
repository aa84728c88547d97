package stdio

import (
	"bytes"
	"testing"
)

// Reference definitions, written independently of the streaming code.
func refAddCR(s []byte) []byte { return bytes.ReplaceAll(s, []byte("\n"), []byte("\r\n")) }
func refDelCR(s []byte) []byte { return bytes.ReplaceAll(s, []byte("\r\n"), []byte("\n")) }
func refFixCR(s []byte) []byte {
	var out []byte
	for i, c := range s {
		if c == '\n' && (i == 0 || s[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// chunked feeds s to a stateful converter in pieces of size n.
func chunked(s []byte, n int, write func(dst, src []byte) []byte, flush func([]byte) []byte) []byte {
	var out []byte
	for len(s) > 0 {
		k := min(n, len(s))
		out = write(out, s[:k])
		s = s[k:]
	}
	if flush != nil {
		out = flush(out)
	}
	return out
}

func TestCRLF(t *testing.T) {
	tests := []struct {
		why             string
		in              string
		add, del, fixed string
	}{
		{"empty stream", "", "", "", ""},
		{"plain LF", "a\nb\n", "a\r\nb\r\n", "a\nb\n", "a\r\nb\r\n"},
		{"CRLF already", "a\r\n", "a\r\r\n", "a\n", "a\r\n"},
		{"lone CR is kept", "a\rb", "a\rb", "a\rb", "a\rb"},
		{"CR at end of stream is kept", "a\r", "a\r", "a\r", "a\r"},
		{"two CRs before LF: only the last goes", "a\r\r\n", "a\r\r\r\n", "a\r\n", "a\r\r\n"},
		{"LF first", "\n", "\r\n", "\n", "\r\n"},
		{"LF CR LF", "\n\r\n", "\r\n\r\r\n", "\n\n", "\r\n\r\n"},
		{"NUL and high bytes pass", "\x00\xff\n", "\x00\xff\r\n", "\x00\xff\n", "\x00\xff\r\n"},
	}
	for _, tc := range tests {
		in := []byte(tc.in)
		for _, n := range []int{1, 2, 3, 1 << 20} {
			if got := chunked(in, n, AddCR, nil); string(got) != tc.add {
				t.Errorf("%s: addcr in %d-byte chunks: %q, want %q", tc.why, n, got, tc.add)
			}
			var d DelCR
			if got := chunked(in, n, d.Write, d.Flush); string(got) != tc.del {
				t.Errorf("%s: delcr in %d-byte chunks: %q, want %q", tc.why, n, got, tc.del)
			}
			var f FixCR
			if got := chunked(in, n, f.Write, nil); string(got) != tc.fixed {
				t.Errorf("%s: fixcr in %d-byte chunks: %q, want %q", tc.why, n, got, tc.fixed)
			}
		}
	}
}

func TestRecord(t *testing.T) {
	tests := []struct{ why, chunk, want string }{
		{"one complete line", "hello\n", "7 < hello \n"},
		{"partial line", "hel", "7 < hel+\n"},
		{"lines then a partial", "a\nb\nc", "7 < a \n7 < b \n7 < c+\n"},
		{"empty line", "\n", "7 <  \n"},
		{"CR and NUL are printed as they are", "a\r\x00\n", "7 < a\r\x00 \n"},
	}
	for _, tc := range tests {
		if got := string(Record(nil, "7 < ", []byte(tc.chunk))); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.why, got, tc.want)
		}
	}
}

func crlfSeeds(f *testing.F) {
	for _, s := range []string{"", "\n", "\r", "\r\n", "a\r\r\nb\rc\r", "\n\r\n\r", "\x00\r\xff\n"} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(3))
	}
}

// The fuzz targets check the streaming converters against the reference
// definitions under every chunking.
func FuzzAddCR(f *testing.F) {
	crlfSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte, n uint8) {
		if got, want := chunked(in, int(n)+1, AddCR, nil), refAddCR(in); !bytes.Equal(got, want) {
			t.Fatalf("%q: %q, want %q", in, got, want)
		}
	})
}

func FuzzDelCR(f *testing.F) {
	crlfSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte, n uint8) {
		var d DelCR
		if got, want := chunked(in, int(n)+1, d.Write, d.Flush), refDelCR(in); !bytes.Equal(got, want) {
			t.Fatalf("%q: %q, want %q", in, got, want)
		}
	})
}

func FuzzFixCR(f *testing.F) {
	crlfSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte, n uint8) {
		var x FixCR
		if got, want := chunked(in, int(n)+1, x.Write, nil), refFixCR(in); !bytes.Equal(got, want) {
			t.Fatalf("%q: %q, want %q", in, got, want)
		}
	})
}

// FuzzRecord: every record line starts with the prefix and ends in " \n"
// or "+\n", and stripping the framing gives the chunk back.
func FuzzRecord(f *testing.F) {
	f.Add([]byte("a\nb"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, chunk []byte) {
		out := Record(nil, "1 > ", chunk)
		var back []byte
		for len(out) > 0 {
			if !bytes.HasPrefix(out, []byte("1 > ")) {
				t.Fatalf("line without prefix in %q", out)
			}
			out = out[4:]
			i := bytes.IndexByte(out, '\n')
			if i < 1 {
				t.Fatalf("bad framing")
			}
			switch out[i-1] {
			case ' ':
				back = append(append(back, out[:i-1]...), '\n')
			case '+':
				back = append(back, out[:i-1]...)
			default:
				t.Fatalf("line ends in %q", out[i-1])
			}
			out = out[i+1:]
		}
		if !bytes.Equal(back, chunk) {
			t.Fatalf("%q came back as %q", chunk, back)
		}
	})
}
