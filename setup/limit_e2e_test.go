package setup

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dialFrom connects to the port of 127.0.0.1 from local, another
// address of the loopback network, and returns the first line the server
// sends within wait, or the error (io.EOF: closed without a line).
func dialFrom(t *testing.T, local string, port int, wait time.Duration) (net.Conn, string, error) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("connect from %s: %v", local, err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	line, err := bufio.NewReader(c).ReadString('\n')
	return c, strings.TrimRight(line, "\r\n"), err
}

// TestPerAddressLimit: quail-setup's qmail-smtpd service takes at most
// MaxConIP connections at once from one address. 45 connections held
// open from 127.0.0.2 (more than the service's 40 places) get 10
// greetings and 35 closed connections, and a client from 127.0.0.3 is
// still greeted at once. Without the limit the flood takes every place
// and the other clients wait in the kernel's queue.
func TestPerAddressLimit(t *testing.T) {
	dir := t.TempDir()
	bin := realBin(t, append(mailPrograms, "quail-setup")...)
	port := freePort(t)
	setup := exec.Command(filepath.Join(bin, "quail-setup"), "-u", "-h", "localhost",
		"-d", filepath.Join(dir, "qmail"), "-s", filepath.Join(dir, "service"), "-l", filepath.Join(dir, "log"),
		"-D", filepath.Join(dir, "home", "demo"), "-b", bin, "-p", "qmail-smtpd="+strconv.Itoa(port))
	setup.Env = []string{"PATH=/usr/bin:/bin"}
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("quail-setup: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "service", "qmail-smtpd", "env", "MAXCONIP")); string(b) != MaxConIP+"\n" {
		t.Fatalf("env/MAXCONIP is %q", b)
	}
	svscan(t, filepath.Join(dir, "service"), bin)
	t.Cleanup(func() { dumpLogs(t, filepath.Join(dir, "log")) })
	waitFor(t, "qmail-smtpd to listen", 20*time.Second, func() bool { return listening(port) })

	// One after another, each until it is greeted or closed, so that the
	// kernel's queue of connections never overflows.
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	greeted, closed := 0, 0
	for i := 0; i < 45; i++ {
		c, line, err := dialFrom(t, "127.0.0.2", port, 5*time.Second)
		held = append(held, c)
		switch {
		case strings.HasPrefix(line, "220 "):
			greeted++
		case errors.Is(err, io.EOF):
			closed++
		default:
			t.Fatalf("connection %d from the flooding address: %q, %v", i+1, line, err)
		}
	}
	if greeted != 10 || closed != 35 {
		t.Errorf("the flood got %d greetings and %d closed connections, want 10 and 35", greeted, closed)
	}
	c, line, _ := dialFrom(t, "127.0.0.3", port, 5*time.Second)
	defer c.Close()
	if !strings.HasPrefix(line, "220 ") {
		t.Fatalf("another address was not served during the flood: %q", line)
	}
	// The tcpserver log names the refusals.
	waitFor(t, "the refusals in the log", 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "log", "qmail-smtpd", "current"))
		return strings.Count(string(b), " ip connection limit:10 exceeded") == 35
	})
}
