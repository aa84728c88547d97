package qmqp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadEnvelope(t *testing.T) {
	for _, c := range []struct {
		in     string
		sender string
		rcpts  string
		err    error
		why    string
	}{
		{"Fa@x\x00Tb@y\x00Tc@z\x00\x00", "a@x", "b@y,c@z", nil, "qmail-queue's format"},
		{"F\x00Tb@y\x00\x00", "", "b@y", nil, "the bounce sender"},
		{"Fa@x\x00\x00", "a@x", "", nil, "no recipients"},
		{"Ta@x\x00\x00", "", "", ErrEnvelope, "the sender comes first"},
		{"Fa@x\x00Xb@y\x00\x00", "", "", ErrEnvelope, "recipients start with T"},
		{"Fa@x\x00Tb@y\x00", "", "", ErrEnvelope, "the envelope ends without its final NUL"},
		{"", "", "", ErrEnvelope, "no envelope at all"},
		{"F" + strings.Repeat("a", MaxEnvelopeAddress+10) + "\x00\x00", "", "", ErrEnvelopeLong, "an address beyond the bound"},
	} {
		s, r, err := ReadEnvelope(strings.NewReader(c.in))
		if !errors.Is(err, c.err) {
			t.Errorf("%s: error %v, want %v", c.why, err, c.err)
			continue
		}
		if err == nil && (s != c.sender || strings.Join(r, ",") != c.rcpts) {
			t.Errorf("%s: got %q %q", c.why, s, r)
		}
	}
}

func TestNewPacketIsQMQP(t *testing.T) {
	p := NewPacket(12, "a@x", []string{"b@y", "c@z"})
	got := string(p.Head) + "hello world!" + string(p.Tail)
	want := "34:12:hello world!,3:a@x,3:b@y,3:c@z,,"
	if got != want {
		t.Errorf("packet %q, want %q", got, want)
	}
}

func TestParseServer(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1:628"},
		{"127.0.0.1:6628", "127.0.0.1:6628"},
		{"::1", "[::1]:628"},
		{"[::1]:6628", "[::1]:6628"},
		{"hub.example", ""},
		{"127.0.0.1:0", ""},
		{"127.0.0.1:x", ""},
		{"", ""},
	} {
		got, _ := ParseServer(c.in)
		if got != c.want {
			t.Errorf("ParseServer(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReadReply(t *testing.T) {
	for _, c := range []struct {
		in   string
		code int
		bad  bool
	}{
		{"22:Kok 1795316645 qp 4242,", ExitOK, false},
		{"5:Zbusy,", ExitTempRefused, false},
		{"5:Dgone,", ExitRefused, false},
		{"5:Xwhat,", 0, true},
		{"0:,", 0, true},
		{"99999:K", 0, true},
	} {
		r, err := ReadReply(bytes.NewReader([]byte(c.in)))
		if (err != nil) != c.bad || (err == nil && r.ExitCode() != c.code) {
			t.Errorf("ReadReply(%q) = %+v, %v", c.in, r, err)
		}
	}
}

func TestMessageSpools(t *testing.T) {
	for _, n := range []int{0, 10, SpoolAbove, SpoolAbove + 1, 3 * SpoolAbove} {
		in := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
		m, err := ReadMessage(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // each server tried reads it again
			got, _ := io.ReadAll(m.Reader())
			if !bytes.Equal(got, in) || m.Size() != int64(n) {
				t.Errorf("message of %d bytes read back as %d (size %d)", n, len(got), m.Size())
			}
		}
		if spooled := m.file != nil; spooled != (n > SpoolAbove) {
			t.Errorf("message of %d bytes: spooled %v", n, spooled)
		}
		m.Close()
	}
}

func FuzzReadEnvelope(f *testing.F) {
	for _, s := range []string{"Fa@x\x00Tb@y\x00\x00", "F\x00\x00", "T\x00", "Fa", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, r, err := ReadEnvelope(bytes.NewReader(in))
		if err != nil {
			return
		}
		// What was read re-encodes to a prefix of the input.
		var b []byte
		b = append(append(append(b, 'F'), s...), 0)
		for _, x := range r {
			b = append(append(append(b, 'T'), x...), 0)
		}
		b = append(b, 0)
		if !bytes.HasPrefix(in, b) {
			t.Fatalf("envelope %q read as %q %q", in, s, r)
		}
	})
}
