package e2e

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmtpdTimeouts runs qmail-smtpd under tcpserver with
// control/timeoutsmtpd set to 1 and checks that a silent client, a
// client trickling a command a byte at a time, and a client that stops
// in the middle of DATA are each cut off with 451 instead of holding the
// process. The 20-second bound only decides failure; nothing is timed.
func TestSmtpdTimeouts(t *testing.T) {
	in := newInstance(t)
	if err := os.WriteFile(filepath.Join(in.Home, "control", "timeoutsmtpd"), []byte("1\n"), 0644); err != nil {
		t.Fatal(err)
	}
	port := in.smtpd(nil)
	cases := []struct {
		why  string
		send func(c net.Conn, r *bufio.Reader) bool
	}{
		{"silent client", func(net.Conn, *bufio.Reader) bool { return true }},
		{"command trickled a byte at a time", func(c net.Conn, _ *bufio.Reader) bool {
			for _, b := range []byte("NOOP NOOP NOOP") {
				if _, err := c.Write([]byte{b}); err != nil {
					return true // cut off: what we want
				}
				time.Sleep(200 * time.Millisecond)
			}
			return true
		}},
		{"client stops inside DATA", func(c net.Conn, r *bufio.Reader) bool {
			c.Write([]byte("HELO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<demo@mx.test>\r\nDATA\r\nSubject: x\r\n"))
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return false
				}
				if strings.HasPrefix(l, "354 ") {
					return true
				}
			}
		}},
	}
	for _, c := range cases {
		conn, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(conn)
		if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "220 ") {
			t.Fatalf("%s: greeting %q %v", c.why, l, err)
		}
		if !c.send(conn, r) {
			t.Errorf("%s: dialogue failed", c.why)
			conn.Close()
			continue
		}
		var last string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				break
			}
			last = l
		}
		conn.Close()
		if !strings.HasPrefix(last, "451 ") || !strings.Contains(last, "timeout") {
			t.Errorf("%s: last reply %q, want a 451 timeout and the connection closed", c.why, last)
		}
	}
	if !in.queueEmpty() {
		t.Errorf("a cut-off message reached the queue")
	}
}
