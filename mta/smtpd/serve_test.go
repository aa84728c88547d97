package smtpd

import (
	"bufio"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/testbin"
)

// servePair is a loopback TCP connection: the server end as a pollable
// file, as tcpserver hands it to a reused qmail-smtpd (package reuse),
// and the client end. Neither is left to the test's end, so that a leak
// check may count them closed.
func servePair(t *testing.T) (*os.File, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := server.(*net.TCPConn).File()
	server.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	syscall.CloseOnExec(fd)
	syscall.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), "socket"), client
}

// TestServeNoLeaks: Serve, which a reused qmail-smtpd (TCPSERVERREUSE)
// runs for connection after connection in one process, leaves no
// descriptor and no goroutine behind, however the session ends.
func TestServeNoLeaks(t *testing.T) {
	home, q := testbin.SMTPHome(t, "mx.test", "mx.test")
	env := []string{"QMAILHOME=" + home, "PATH=/usr/bin:/bin", "TCPREMOTEIP=127.0.0.1", "TCPLOCALIP=127.0.0.1"}
	dialogues := []struct {
		name   string
		client string // sent at once, then the client's end is closed for writing
		code   int
		want   string // in the replies
	}{
		{"QUIT", "QUIT\r\n", 0, "221 "},
		{"a message", "HELO a.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", 0, "250 ok"},
		{"cut in DATA", "HELO a.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\nSubject: cut\r\n", cli.ExitTemporary, "354 "},
		{"an overlong line", strings.Repeat("x", 5000) + "\r\n", cli.ExitTemporary, "500 "},
		{"end of input at once", "", 0, "220 "},
	}
	run := func(i int) {
		d := dialogues[i%len(dialogues)]
		conn, client := servePair(t)
		inv := &cli.Invocation{Name: "qmail-smtpd", Args: []string{"qmail-smtpd"}, Env: env,
			Stdin: conn, Stdout: conn, Stderr: io.Discard}
		codes := make(chan int, 1)
		go func() {
			code := Serve(inv, conn, conn)
			conn.Close() // as reuse.Worker.Loop does
			codes <- code
		}()
		client.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(client, d.client)
		client.(*net.TCPConn).CloseWrite()
		var replies strings.Builder
		r := bufio.NewReader(client)
		for {
			l, err := r.ReadString('\n')
			replies.WriteString(l)
			// An overlong line is answered and the rest left unread:
			// the close then resets the connection.
			if err == io.EOF || err != nil && strings.Contains(err.Error(), "reset") {
				break
			}
			if err != nil {
				t.Fatalf("%s: reading the replies: %v", d.name, err)
			}
		}
		var code int
		select {
		case code = <-codes:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Serve still running", d.name)
		}
		client.Close()
		if code != d.code || !strings.Contains(replies.String(), d.want) {
			t.Fatalf("%s: code %d, replies %q; want code %d and %q", d.name, code, replies.String(), d.code, d.want)
		}
	}
	// Once through, so that what is made once per process (the
	// runtime's poller, cached checks) is there before counting.
	for i := range dialogues {
		run(i)
	}
	check := testbin.NoLeaks(t)
	for i := range 30 {
		run(i)
	}
	check()
	if n := len(q.Queued(t)); n < 7 {
		t.Fatalf("%d queue runs, want the messages queued", n)
	}
}
