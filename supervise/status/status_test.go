package status

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/quail-mta/quail/tai64"
)

// golden was captured from Debian's daemontools 0.76-8.1 supervise running a
// service as pid 12640 (0x3160), wanted up, not paused: the stamp
// big-endian, the pid little-endian, then paused and want.
var golden = []byte{
	0x40, 0x00, 0x00, 0x00, 0x6b, 0x02, 0x5b, 0x1d, // seconds
	0x00, 0xff, 0xe5, 0xc4, // nanoseconds
	0x60, 0x31, 0x00, 0x00, // pid 12640, little-endian
	0x00, // not paused
	'u',  // want up
}

var goldenStatus = Status{
	Stamp: tai64.Label{Sec: 0x400000006b025b1d, Nano: 0x00ffe5c4},
	PID:   12640,
	Want:  WantUp,
}

func TestEncodeGolden(t *testing.T) {
	got := goldenStatus.Encode()
	if !bytes.Equal(got[:], golden) {
		t.Fatalf("Encode = % x\nwant     % x", got, golden)
	}
}

func TestDecode(t *testing.T) {
	long := append(append([]byte{}, golden...), 2, 0) // daemontools-encore's 20 bytes
	cases := []struct {
		why  string
		in   []byte
		want Status
		err  error
	}{
		{"the golden record", golden, goldenStatus, nil},
		{"encore and runit append bytes that 0.76 readers ignore", long, goldenStatus, nil},
		{"svstat calls a short file bad format", golden[:17], Status{}, ErrBadFormat},
		{"an empty file (supervise died before its first write)", nil, Status{}, ErrBadFormat},
		{"any nonzero paused byte counts as paused", func() []byte {
			b := append([]byte{}, golden...)
			b[16] = 7
			return b
		}(), Status{Stamp: goldenStatus.Stamp, PID: goldenStatus.PID, Paused: true, Want: WantUp}, nil},
		{"want 0 is svc -o", func() []byte {
			b := append([]byte{}, golden...)
			b[17] = 0
			return b
		}(), Status{Stamp: goldenStatus.Stamp, PID: goldenStatus.PID, Want: WantOnce}, nil},
	}
	for _, c := range cases {
		got, err := Decode(c.in)
		if err != c.err || got != c.want {
			t.Errorf("%s: Decode = %+v, %v; want %+v, %v", c.why, got, err, c.want, c.err)
		}
	}
}

func TestEncodePausedOnlyWhenUp(t *testing.T) {
	// 0.76 announces paused as (pid ? flagpaused : 0).
	b := Status{Paused: true, Want: WantDown}.Encode()
	if b[16] != 0 {
		t.Fatalf("paused byte %d for a service that is down", b[16])
	}
	b = Status{PID: 1, Paused: true}.Encode()
	if b[16] != 1 {
		t.Fatalf("paused byte %d for a paused running service", b[16])
	}
}

func TestWriteReplacesThroughStatusNew(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, Dir), 0700); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, goldenStatus); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil || !bytes.Equal(b, golden) {
		t.Fatalf("status file % x, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, newName)); !os.IsNotExist(err) {
		t.Fatalf("status.new left behind: %v", err)
	}
	got, err := Read(dir)
	if err != nil || got != goldenStatus {
		t.Fatalf("Read = %+v, %v", got, err)
	}
}

func TestReadyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, Dir), 0700)
	if _, ok, err := ReadReady(dir); ok || err != nil {
		t.Fatalf("ReadReady before any write: %v %v", ok, err)
	}
	l := tai64.Label{Sec: tai64.Offset + 1700000000, Nano: 123456500}
	if err := WriteReady(dir, l); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ReadyName))
	if string(b) != l.String()+"\n" {
		t.Fatalf("ready file %q", b)
	}
	got, ok, err := ReadReady(dir)
	if !ok || err != nil || got != l {
		t.Fatalf("ReadReady = %v %v %v", got, ok, err)
	}
	if err := RemoveReady(dir); err != nil {
		t.Fatal(err)
	}
	if err := RemoveReady(dir); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestParseNotificationFD(t *testing.T) {
	cases := []struct {
		why string
		in  string
		fd  int
		ok  bool
	}{
		{"a plain number", "3", 3, true},
		{"a trailing newline, as echo writes it", "5\n", 5, true},
		{"0-2 are the service's stdio and cannot be given away", "1\n", 0, false},
		{"a sign is not a descriptor number", "+4", 0, false},
		{"leading space is not accepted", " 4", 0, false},
		{"too big", "100000", 0, false},
		{"empty file", "", 0, false},
		{"garbage after the number", "4x", 0, false},
	}
	for _, c := range cases {
		fd, ok, err := ParseNotificationFD([]byte(c.in))
		if fd != c.fd || ok != c.ok || (err == nil) != c.ok {
			t.Errorf("%s: ParseNotificationFD(%q) = %d %v %v", c.why, c.in, fd, ok, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(golden)
	f.Add([]byte{})
	f.Add(make([]byte, 40))
	f.Add(golden[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Decode(b)
		if len(b) < Size {
			if err == nil {
				t.Fatalf("short record %d bytes accepted", len(b))
			}
			return
		}
		if err != nil {
			t.Fatalf("Decode(% x): %v", b, err)
		}
		// Re-encoding gives the first 18 bytes back, except that a
		// paused byte other than 0/1, or paused with pid 0, normalises.
		enc := st.Encode()
		want := append([]byte{}, b[:Size]...)
		want[16] = 0
		if st.Paused && st.PID != 0 {
			want[16] = 1
		}
		if !bytes.Equal(enc[:], want) {
			t.Fatalf("round trip % x -> % x", b[:Size], enc)
		}
	})
}

func FuzzParseNotificationFD(f *testing.F) {
	for _, s := range []string{"3", "5\n", "", "-1", "99999999999999999999", "4 \t\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fd, ok, err := ParseNotificationFD(b)
		if ok && (fd < 3 || fd > MaxNotificationFD || err != nil) {
			t.Fatalf("accepted %d from %q", fd, b)
		}
	})
}
