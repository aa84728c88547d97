package rblsmtpd_test

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// socketSession runs rblsmtpd as tcpserver would, with one TCP socket on
// both standard input and standard output, and returns the client's end.
func socketSession(t *testing.T, env []string, args ...string) (net.Conn, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := server.(*net.TCPConn).File()
	server.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path(t, "rblsmtpd"), args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	cmd.Stdin, cmd.Stdout = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	client.SetDeadline(time.Now().Add(20 * time.Second))
	return client, done
}

func TestSocketSession(t *testing.T) {
	c, _ := socketSession(t, []string{"RBLSMTPD=-no", "TCPREMOTEIP=127.0.0.1"}, "-t1", "cat")
	r := bufio.NewReader(c)
	io.WriteString(c, "HELO x\r\nDATA\r\n")
	for _, want := range []string{"220 rblsmtpd.local\r\n", "250 rblsmtpd.local\r\n", "553 no\r\n"} {
		if l, err := r.ReadString('\n'); l != want {
			t.Fatalf("got %q, %v; want %q", l, err, want)
		}
	}
	// The client says nothing more: -t1 closes the session, and the client
	// sees the end of the stream (before its own 20 s deadline).
	if b, err := r.ReadByte(); err != io.EOF {
		t.Errorf("after the timeout got %q, %v; want EOF", b, err)
	}
}

func TestSocketGreetDelay(t *testing.T) {
	c, _ := socketSession(t, []string{"TCPREMOTEIP=127.0.0.1"}, "-w1", "sh", "-c", "echo 220 smtpd; exec cat")
	r := bufio.NewReader(c)
	if l, err := r.ReadString('\n'); l != "220 smtpd\n" {
		t.Fatalf("got %q, %v", l, err)
	}
	io.WriteString(c, "EHLO x\r\n")
	if l, err := r.ReadString('\n'); l != "EHLO x\r\n" {
		t.Errorf("echo got %q, %v", l, err)
	}
}

func TestSocketPregreet(t *testing.T) {
	c, _ := socketSession(t, []string{"TCPREMOTEIP=127.0.0.1"}, "-w30", "sh", "-c", "echo 220 smtpd")
	io.WriteString(c, "EHLO early\r\n")
	r := bufio.NewReader(c)
	if l, err := r.ReadString('\n'); l != "554 SMTP protocol violation\r\n" {
		t.Fatalf("got %q, %v", l, err)
	}
	// What the client had sent is drained, so the close is a FIN (EOF)
	// and not a reset that could have destroyed the reply.
	if b, err := r.ReadByte(); err != io.EOF {
		t.Errorf("after the violation got %q, %v; want EOF", b, err)
	}
}
