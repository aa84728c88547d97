package splogger

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// listenDgram is a syslog daemon's /dev/log of the test's own.
func listenDgram(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)

func TestSyslogDatagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	c := listenDgram(t, path)
	s := &Syslog{Path: path, Tag: "qmail", Facility: LogMail}
	defer s.Close()
	if err := s.Send(LogInfo, "1.000000 one", at); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(LogAlert, "1.000000 alert: two", at); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<22>Jan  2 03:04:05 qmail: 1.000000 one", "<17>Jan  2 03:04:05 qmail: 1.000000 alert: two"} {
		if got := recv(t, c); got != want {
			t.Errorf("datagram %q, want %q", got, want)
		}
	}
}

// A syslog daemon that restarts makes a new socket; the next record goes
// to it (syslog(3) reconnects and tries once more).
func TestSyslogReconnects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	c := listenDgram(t, path)
	s := &Syslog{Path: path, Tag: "t", Facility: LogMail}
	defer s.Close()
	s.Send(LogInfo, "before", at)
	recv(t, c)
	c.Close()
	os.Remove(path) // as a restarting daemon does
	c = listenDgram(t, path)
	if err := s.Send(LogInfo, "after", at); err != nil {
		t.Fatalf("Send after the restart: %v", err)
	}
	if got := recv(t, c); got != "<22>Jan  2 03:04:05 t: after" {
		t.Errorf("after the restart: %q", got)
	}
}

// Without a socket the record is lost and Send says so; the next Send
// tries again.
func TestSyslogNoDaemon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	s := &Syslog{Path: path, Tag: "t", Facility: LogMail}
	defer s.Close()
	if err := s.Send(LogInfo, "lost", at); err == nil {
		t.Fatal("Send without a socket succeeded")
	}
	c := listenDgram(t, path)
	if err := s.Send(LogInfo, "found", at); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c); got != "<22>Jan  2 03:04:05 t: found" {
		t.Errorf("got %q", got)
	}
}

// A stream socket (some syslog daemons listen so) gets each record ended
// by a NUL, as glibc writes it there.
func TestSyslogStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var b bytes.Buffer
		buf := make([]byte, 256)
		for bytes.Count(b.Bytes(), []byte{0}) < 2 {
			n, err := c.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- b.Bytes()
	}()
	s := &Syslog{Path: path, Tag: "qmail", Facility: LogMail}
	s.Send(LogInfo, "a", at)
	s.Send(LogWarning, "warning: b", at)
	want := "<22>Jan  2 03:04:05 qmail: a\x00<20>Jan  2 03:04:05 qmail: warning: b\x00"
	if b := <-got; string(b) != want {
		t.Errorf("stream bytes %q, want %q", b, want)
	}
	s.Close()
}
