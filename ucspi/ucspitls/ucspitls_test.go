package ucspitls

import (
	"bufio"
	"bytes"
	"errors"
	"reflect"
	"testing"
	"testing/iotest"
)

func TestEnvBlockRoundTrip(t *testing.T) {
	cases := []struct {
		why string
		env []string
	}{
		{"empty environment is two NULs", nil},
		{"ordinary variables", []string{"SSL_PROTOCOL=TLSv1.3", "SSL_CIPHER=TLS_AES_128_GCM_SHA256"}},
		{"empty value and '=' inside the value", []string{"A=", "B=x=y"}},
	}
	for _, c := range cases {
		b := EncodeEnv(c.env)
		if len(c.env) == 0 && !bytes.Equal(b, []byte{0}) {
			// The reply after the server's own terminator: one NUL ends
			// the (empty) list.
			t.Errorf("%s: encoded %q", c.why, b)
		}
		got, err := ReadEnv(bufio.NewReader(iotest.OneByteReader(bytes.NewReader(b))))
		if err != nil || !reflect.DeepEqual(got, c.env) {
			t.Errorf("%s: got %q, %v", c.why, got, err)
		}
	}
}

func TestEncodeDropsWhatCannotBeSent(t *testing.T) {
	b := EncodeEnv([]string{"A=1", "BAD\x00=2", "NOEQUALS", "C=3"})
	if want := "A=1\x00C=3\x00\x00"; string(b) != want {
		t.Fatalf("encoded %q, want %q", b, want)
	}
}

func TestReadEnvRejects(t *testing.T) {
	cases := []struct{ why, in string }{
		{"no terminator", "A=1\x00"},
		{"entry without =", "A\x00\x00"},
		{"entry with empty name", "=x\x00\x00"},
		{"nothing at all", ""},
	}
	for _, c := range cases {
		if _, err := ReadEnv(bufio.NewReader(bytes.NewReader([]byte(c.in)))); err == nil {
			t.Errorf("%s: accepted %q", c.why, c.in)
		}
	}
}

func TestFromEnvNotOffered(t *testing.T) {
	_, err := FromEnv(func(string) (string, bool) { return "", false })
	if !errors.Is(err, ErrNotOffered) {
		t.Fatalf("got %v", err)
	}
	_, err = FromEnv(func(k string) (string, bool) { return "x", true })
	if err == nil {
		t.Fatalf("a non-numeric descriptor was accepted")
	}
}

func FuzzReadEnv(f *testing.F) {
	f.Add([]byte("SSL_PROTOCOL=TLSv1.3\x00\x00"))
	f.Add([]byte("\x00"))
	f.Add([]byte("A=\x00=\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := ReadEnv(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		// What was read must encode back to a prefix of the input.
		if enc := EncodeEnv(env); !bytes.HasPrefix(b, enc) {
			t.Fatalf("re-encoding %q gave %q", b, enc)
		}
	})
}
