package supervise_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCompatSvcBytes: for the same options, our svc and Debian's write the
// same bytes to supervise/control (order kept, repeats dropped), read here
// from a FIFO the test holds open in supervise's place.
func TestCompatSvcBytes(t *testing.T) {
	q, d := ours(t), debian(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "supervise"), 0700)
	fifo := filepath.Join(dir, "supervise/control")
	if err := syscall.Mkfifo(fifo, 0600); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(fifo, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	drain := func() string {
		buf := make([]byte, 256)
		n, _ := syscall.Read(fd, buf)
		if n < 0 {
			n = 0
		}
		return string(buf[:n])
	}
	cases := []struct {
		why  string
		args []string
		want string
	}{
		{"the usual stop", []string{"-dx"}, "dx"},
		{"order is the order of the options", []string{"-x", "-d"}, "xd"},
		{"a repeated letter is sent once", []string{"-uuu", "-du"}, "ud"},
		{"every 0.76 letter", []string{"-udopchaitkx"}, "udopchaitkx"},
		{"no option writes nothing", []string{}, ""},
		{"-- ends the options", []string{"-k", "--"}, "k"},
	}
	for _, c := range cases {
		var got [2]string
		for i, tl := range []tools{q, d} {
			_, errs, code := run(t, tl.svc, append(c.args, dir)...)
			if code != 0 || errs != "" {
				t.Fatalf("%s: %s svc %q: %d %q", c.why, tl.name, c.args, code, errs)
			}
			got[i] = drain()
		}
		if got[0] != got[1] || got[0] != c.want {
			t.Errorf("%s: svc %q wrote %q (quail), %q (daemontools), want %q", c.why, c.args, got[0], got[1], c.want)
		}
	}
	// The additions reach the FIFO too.
	run(t, q.svc, "-q12w", dir)
	if got := drain(); got != "q12w" {
		t.Errorf("svc -q12w wrote %q", got)
	}
}
