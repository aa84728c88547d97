package netstring

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRead(t *testing.T) {
	for _, c := range []struct {
		in, want string
		max      int64
		err      error
		why      string
	}{
		{"12:hello world!,", "hello world!", 100, nil, "the spec's example"},
		{"0:,", "", 100, nil, "the empty string is the one length starting with 0"},
		{"5:a\x00b\r\n,", "a\x00b\r\n", 100, nil, "any byte may be in the string"},
		{"05:hello,", "", 100, ErrFormat, "leading zeros are prohibited"},
		{"00:,", "", 100, ErrFormat, "a zero length has exactly one digit"},
		{":,", "", 100, ErrFormat, "the length must have a digit"},
		{"5:hello;", "", 100, ErrFormat, "a missing comma"},
		{"5 :hello,", "", 100, ErrFormat, "no blanks in the length"},
		{"+5:hello,", "", 100, ErrFormat, "no sign"},
		{"-1:,", "", 100, ErrFormat, "no negative length"},
		{"6:hello,", "", 100, io.ErrUnexpectedEOF, "the string is shorter than declared"},
		{"5:hello", "", 100, io.ErrUnexpectedEOF, "the input ends before the comma"},
		{"5", "", 100, io.ErrUnexpectedEOF, "the input ends in the length"},
		{"", "", 100, io.EOF, "no input at all is a clean end"},
		{"101:", "", 100, ErrTooLong, "over the caller's ceiling"},
		{"100:" + strings.Repeat("x", 100) + ",", strings.Repeat("x", 100), 100, nil, "exactly the ceiling"},
		{"99999999999999999999999:", "", -1, ErrTooLong, "beyond MaxLength whatever the caller asks"},
	} {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(c.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			got, err := Read(bufio.NewReaderSize(r, 16), c.max)
			if !errors.Is(err, c.err) {
				t.Errorf("%s: Read(%q) error %v, want %v", c.why, c.in, err, c.err)
				continue
			}
			if err == nil && string(got) != c.want {
				t.Errorf("%s: Read(%q) = %q, want %q", c.why, c.in, got, c.want)
			}
		}
	}
}

// endless is an input of digits that never ends; a reader must refuse a
// length long before it.
type endless struct{ read int }

func (e *endless) ReadByte() (byte, error) { e.read++; return '9', nil }

func TestHugeLengthReadsLittle(t *testing.T) {
	e := &endless{}
	if _, err := ReadLength(e, 1000); err != ErrTooLong {
		t.Fatalf("error %v, want ErrTooLong", err)
	}
	if e.read > 4 {
		t.Errorf("read %d digits to refuse a length over 1000", e.read)
	}
	e = &endless{}
	if _, err := ReadLength(e, -1); err != ErrTooLong {
		t.Fatalf("error %v, want ErrTooLong", err)
	}
	if e.read > 11 {
		t.Errorf("read %d digits to refuse a length over MaxLength", e.read)
	}
}

func TestAppendRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", "hello world!", strings.Repeat("\x00,:", 400)} {
		enc := Encode(s)
		got, err := Read(bufio.NewReader(bytes.NewReader(enc)), -1)
		if err != nil || string(got) != s {
			t.Errorf("%q encoded as %q reads back as %q, %v", s, enc, got, err)
		}
	}
	if got := string(Encode("hello world!")); got != "12:hello world!," {
		t.Errorf("Encode = %q", got)
	}
}

func TestSection(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  error
		why  string
	}{
		{"3:abc,1:d,", []string{"abc", "d"}, nil, "two inner strings fill the section"},
		{"", nil, nil, "an empty section has no strings"},
		{"3:abc,2:d,", []string{"abc"}, ErrFormat, "an inner string runs past the section"},
		{"3:abc,1:d", []string{"abc"}, ErrFormat, "no room for the inner comma"},
		{"3:abc,123", []string{"abc"}, ErrFormat, "the section ends inside a length"},
		{"3:abc,9999999999:", []string{"abc"}, ErrFormat, "an inner length beyond the section is a format error"},
	} {
		outer := string(Encode(c.in)) + "trailing"
		br := bufio.NewReader(strings.NewReader(outer))
		n, err := ReadLength(br, -1)
		if err != nil {
			t.Fatal(err)
		}
		sec := NewSection(br, n)
		var got []string
		for sec.Remaining() > 0 {
			l, err := sec.ReadLength()
			if err == nil {
				b := make([]byte, l)
				if _, err = io.ReadFull(sec, b); err == nil {
					err = ReadComma(sec)
				}
				if err == nil {
					got = append(got, string(b))
					continue
				}
			}
			if !errors.Is(err, c.err) {
				t.Errorf("%s: error %v, want %v", c.why, err, c.err)
			}
			break
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: got %q, want %q", c.why, got, c.want)
		}
		if c.err == nil {
			if err := ReadComma(br); err != nil {
				t.Errorf("%s: outer comma: %v", c.why, err)
			}
			if rest, _ := io.ReadAll(br); string(rest) != "trailing" {
				t.Errorf("%s: section read past its end, left %q", c.why, rest)
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{"12:hello world!,", "0:,", "05:x,", "1:a", "999999999999:", ":", "3:a,b,", "2:ab,3:cde,"} {
		f.Add([]byte(s), int64(16))
	}
	f.Fuzz(func(t *testing.T, in []byte, max int64) {
		br := bufio.NewReader(bytes.NewReader(in))
		for i := 0; i < len(in)+1; i++ {
			s, err := Read(br, max)
			if err != nil {
				return
			}
			if max >= 0 && int64(len(s)) > max {
				t.Fatalf("read %d bytes with ceiling %d", len(s), max)
			}
			// What was read must be what its encoding says.
			if enc := Encode(string(s)); !bytes.Contains(in, enc) {
				t.Fatalf("read %q, whose encoding %q is not in the input", s, enc)
			}
		}
	})
}
