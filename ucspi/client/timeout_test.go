package client

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// fullListener is a loopback socket listening with backlog 0 whose queue
// is already full, so that the kernel drops further SYNs and a connect to
// it can only time out.
func fullListener(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	// Fill the queue with connections that are never accepted, until a
	// connect gets no answer: then the queue is full.
	for i := 0; ; i++ {
		if i == 5 {
			t.Skip("cannot fill the accept queue")
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 500*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return port
}

// TestCompatTimeout: an address that does not answer gives the same
// "timed out" message and exit 111 from Debian's tcpclient and ours, with
// -T 1+1 (tried for a second, then once more for a second).
func TestCompatTimeout(t *testing.T) {
	theirs := testbin.Peer(t, "tcpclient")
	ours := testbin.Path(t, "tcpclient")
	port := strconv.Itoa(fullListener(t))
	env := []string{"PATH=/usr/bin:/bin"}
	want := "tcpclient: unable to connect to 127.0.0.1 port " + port + ": timed out\n"
	for _, bin := range []string{theirs, ours} {
		out, errs, code := run(t, bin, env, "", "-RHl0", "-T", "1+1", "127.0.0.1", port, "true")
		if out != "" || errs != want || code != 111 {
			t.Errorf("%s: exit %d, %q %q; want exit 111, %q", bin, code, out, errs, want)
		}
	}
}
