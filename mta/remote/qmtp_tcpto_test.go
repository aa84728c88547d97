package remote

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/tcpto"
	"golang.org/x/sys/unix"
)

// qmtpServer answers each recipient by the start of its address: "bad"
// gets D, "later" gets Z, others K; it keeps what it received.
type qmtpServer struct {
	addr string
	mu   sync.Mutex
	msg  []byte
	from string
	to   []string
}

func startQMTP(t *testing.T) *qmtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &qmtpServer{addr: ln.Addr().String()}
	go serveAll(ln, s.serve)
	return s
}

func (s *qmtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	msg, err := ReadNetstring(br, 1<<20)
	if err != nil || len(msg) == 0 || msg[0] != '\n' {
		return // not a message of type LF
	}
	msg = msg[1:]
	from, err := ReadNetstring(br, 1<<10)
	if err != nil {
		return
	}
	list, err := ReadNetstring(br, 1<<16)
	if err != nil {
		return
	}
	var to []string
	lr := bufio.NewReader(bytes.NewReader(list))
	for {
		r, err := ReadNetstring(lr, 1<<10)
		if err != nil {
			break
		}
		to = append(to, string(r))
	}
	s.mu.Lock()
	s.msg, s.from, s.to = msg, string(from), to
	s.mu.Unlock()
	var out []byte
	for _, r := range to {
		switch {
		case strings.HasPrefix(r, "bad"):
			out = AppendNetstring(out, []byte("Dno such user"))
		case strings.HasPrefix(r, "later"):
			out = AppendNetstring(out, []byte("Zmailbox full"))
		default:
			out = AppendNetstring(out, []byte("Kthanks"))
		}
	}
	c.Write(out)
}

func TestQMTP(t *testing.T) {
	srv := startQMTP(t)
	_, port, _ := net.SplitHostPort(srv.addr)
	in := newInstance(t, "", map[string]string{
		"qmtproutes": "q.test:127.0.0.1:" + port + "\n.test:127.0.0.1:" + port,
		"smtproutes": ".q.test:127.0.0.1:1\n:127.0.0.1:1",
	})
	msg := "Subject: q\n\n.dot\nno final newline is fine in QMTP"
	rep := in.run(t, msg, "q.test", "a@quail.test", "ok@q.test", "bad@q.test", "later@q.test")
	want := []string{
		"r",
		"h127.0.0.1 does not like recipient.\nRemote host said: no such user\n",
		"s127.0.0.1 does not like recipient.\nRemote host said: mailbox full\n",
		"K127.0.0.1 accepted message.\n",
	}
	if strings.Join(rep, "|") != strings.Join(want, "|") {
		t.Fatalf("reports %q", rep)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if string(srv.msg) != msg || srv.from != "a@quail.test" || strings.Join(srv.to, ",") != "ok@q.test,bad@q.test,later@q.test" {
		t.Fatalf("server got %q from %q to %q", srv.msg, srv.from, srv.to)
	}
	// The more specific smtproutes line (".q.test") beats the qmtproutes
	// line for ".test": nobody listens on port 1.
	rep = in.run(t, testMessage, "sub.q.test", "a@quail.test", "x@sub.q.test")
	if last(rep) != "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n" {
		t.Fatalf("sub.q.test: %q", rep)
	}
}

// blockedListener listens on addr with a backlog of 0 and never accepts;
// once one connection fills its queue, further connection attempts time
// out instead of being refused.
func blockedListener(t *testing.T, ip [4]byte) (port int, closeFn func()) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ip}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	port = sa.(*unix.SockaddrInet4).Port
	addr := netip.AddrPortFrom(netip.AddrFrom4(ip), uint16(port)).String()
	var held []net.Conn
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			break // the queue is full
		}
		held = append(held, c)
		if i == 7 {
			t.Skip("the kernel never stopped accepting connections on a backlog of 0")
		}
	}
	return port, func() {
		unix.Close(fd)
		for _, c := range held {
			c.Close()
		}
	}
}

// An address that times out twice, 120 s or more apart, is skipped until
// qmail-tcpok clears the table; a refused connection is not remembered.
func TestTcpto(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.4")
	port, unblock := blockedListener(t, ip.As4())
	p := strings.TrimPrefix(netip.AddrPortFrom(ip, uint16(port)).String(), "127.0.0.4:")
	in := newInstance(t, "", map[string]string{
		"smtproutes":     "t.test:127.0.0.4:" + p + "\nrefused.test:127.0.0.5:1",
		"timeoutconnect": "1",
	})
	tab := tcpto.IPv4(in.home)
	// A first timeout five minutes ago, as if from an earlier run.
	if err := tab.Record(ip, true, time.Now().Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	noConn := "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
	if rep := in.run(t, testMessage, "t.test", "a@quail.test", "x@t.test"); last(rep) != noConn {
		t.Fatalf("first run: %q", rep)
	}
	tcptoOut := func() string {
		cmd := exec.Command(testbin.Path(t, "qmail-tcpto"))
		cmd.Env = in.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("qmail-tcpto: %v %s", err, out)
		}
		return string(out)
	}
	if out := tcptoOut(); !strings.HasPrefix(out, "127.0.0.4 timed out ") || !strings.HasSuffix(out, "# recent timeouts: 2\n") {
		t.Fatalf("qmail-tcpto after the timeout: %q", out)
	}
	// The host comes back, but qmail-remote does not try it yet.
	unblock()
	srv := startFake(t, "127.0.0.4:"+p, nil)
	if rep := in.run(t, testMessage, "t.test", "a@quail.test", "x@t.test"); last(rep) != noConn {
		t.Fatalf("second run: %q", rep)
	}
	srv.mu.Lock()
	n := srv.sessions
	srv.mu.Unlock()
	if n != 0 {
		t.Fatalf("the remembered address was tried (%d sessions)", n)
	}
	cmd := exec.Command(testbin.Path(t, "qmail-tcpok"))
	cmd.Env = in.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qmail-tcpok: %v %s", err, out)
	}
	if rep := in.run(t, testMessage, "t.test", "a@quail.test", "x@t.test"); !strings.HasPrefix(last(rep), "K127.0.0.4 accepted message.") {
		t.Fatalf("after qmail-tcpok: %q", rep)
	}
	// Refused connections leave no record.
	in.run(t, testMessage, "refused.test", "a@quail.test", "x@refused.test")
	if out := tcptoOut(); out != "" {
		t.Fatalf("qmail-tcpto after a refused connection: %q", out)
	}
}
