package tai64

import (
	"bytes"
	"testing"
	"time"
)

func TestEpochLabel(t *testing.T) {
	// daemontools labels the UNIX epoch 2^62+10: "@400000000000000a".
	got := FromTime(time.Unix(0, 0)).String()
	if got != "@400000000000000a00000000" {
		t.Fatalf("epoch label %s", got)
	}
}

func TestNowEndsIn500(t *testing.T) {
	for i := 0; i < 100; i++ {
		if n := Now().Nano; n%1000 != 500 || n > 999999999 {
			t.Fatalf("nanoseconds %d do not follow daemontools' 1000*usec+500", n)
		}
	}
}

func TestPackRoundTrip(t *testing.T) {
	l := Label{Sec: 0x4000000065a1b2c3, Nano: 123456789}
	var b [12]byte
	l.Pack(b[:])
	want := []byte{0x40, 0, 0, 0, 0x65, 0xa1, 0xb2, 0xc3, 0x07, 0x5b, 0xcd, 0x15}
	if !bytes.Equal(b[:], want) {
		t.Fatalf("packed % x, want % x", b, want)
	}
	if Unpack(b[:]) != l {
		t.Fatalf("round trip changed the label")
	}
	if back := FromTime(l.Time()); back != l {
		t.Fatalf("time round trip: %v != %v", back, l)
	}
}

func TestParseText(t *testing.T) {
	cases := []struct {
		why  string
		in   string
		want Label
		used int
	}{
		{"full label", "@4000000065a1b2c3075bcd15 rest", Label{0x4000000065a1b2c3, 0x075bcd15}, 25},
		{"short label counts from the right", "@abc x", Label{0, 0xabc}, 4},
		{"nine digits carry into seconds", "@123456789", Label{1, 0x23456789}, 10},
		{"uppercase stops the digits, as tai64nlocal", "@12AB", Label{0, 0x12}, 3},
		{"just the at sign", "@", Label{}, 1},
		{"long label keeps the last 24 digits", "@ff4000000065a1b2c3075bcd15", Label{0x4000000065a1b2c3, 0x075bcd15}, 27},
	}
	for _, c := range cases {
		got, n, err := ParseText([]byte(c.in))
		if err != nil || got != c.want || n != c.used {
			t.Errorf("%s: ParseText(%q) = %v, %d, %v; want %v, %d", c.why, c.in, got, n, err, c.want, c.used)
		}
	}
	if _, _, err := ParseText([]byte("no at")); err == nil {
		t.Errorf("text without @ parsed")
	}
}

func FuzzParseText(f *testing.F) {
	f.Add([]byte("@4000000065a1b2c3075bcd15 line"))
	f.Add([]byte("@"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, n, err := ParseText(b)
		if err != nil {
			return
		}
		if n < 1 || n > len(b) {
			t.Fatalf("used %d of %d bytes", n, len(b))
		}
		if n == 25 {
			back := l.AppendText(nil)
			if !bytes.Equal(back, bytes.ToLower(b[:25])) {
				t.Fatalf("text round trip %q -> %q", b[:25], back)
			}
		}
	})
}
