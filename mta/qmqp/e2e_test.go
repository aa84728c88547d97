package qmqp

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/qqueue"
)

// hub is a tcpserver running a server program in front of a stand-in
// queue.
type hub struct {
	*testbin.Server
	*testbin.QueueStandIn
	home string
}

func startHub(t *testing.T, server string, extraEnv ...string) *hub {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "qmail")
	if err := os.MkdirAll(filepath.Join(home, "control"), 0o755); err != nil {
		t.Fatal(err)
	}
	qq := testbin.StandInQueue(t, dir)
	env := append([]string{"PATH=/bin:/usr/bin", "QMAILQUEUE=" + qq.Path, "QMAILHOME=" + home}, extraEnv...)
	srv := testbin.StartServer(t, testbin.Path(t, "tcpserver"), env, "-RH", "-l", "hub.example", "127.0.0.1", "0", testbin.Path(t, server))
	return &hub{Server: srv, QueueStandIn: qq, home: home}
}

// nullClient is a qmail home whose qmail-qmqpc sends to servers.
func nullClient(t *testing.T, servers ...string) string {
	t.Helper()
	home := t.TempDir()
	ctl := filepath.Join(home, "control")
	os.MkdirAll(ctl, 0o755)
	os.WriteFile(filepath.Join(ctl, "me"), []byte("client.example\n"), 0o644)
	os.WriteFile(filepath.Join(ctl, "qmqpservers"), []byte(strings.Join(servers, "\n")+"\n"), 0o644)
	return home
}

// closedPort is a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestNullClient is the null client's path: qmail-inject runs
// qmail-qmqpc as its qmail-queue, which hands the message to the hub's
// qmail-qmqpd under tcpserver, which queues it with a Received line.
func TestNullClient(t *testing.T) {
	h := startHub(t, "qmail-qmqpd")
	home := nullClient(t, "# a dead server first: the next one is tried", closedPort(t), "not-an-ip", fmt.Sprintf("127.0.0.1:%d", h.Port))
	cmd := exec.Command(testbin.Path(t, "qmail-inject"))
	cmd.Env = []string{"QMAILHOME=" + home, "QMAILQUEUE=" + testbin.Path(t, "qmail-qmqpc"), "QMAILUSER=alice", "PATH=/bin:/usr/bin"}
	cmd.Stdin = strings.NewReader("To: bob@hub.example\nSubject: through the null client\n\nhello hub\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qmail-inject: %v: %s", err, out)
	}
	q := h.Queued(t)
	if len(q) != 1 {
		t.Fatalf("hub queued %d messages; log: %s", len(q), h.Stderr.String())
	}
	msg, env, _ := strings.Cut(q[0], "|")
	for _, want := range []string{
		"Received: from unknown (127.0.0.1)\n  by hub.example with QMQP; ",
		"\nSubject: through the null client\n",
		"\nhello hub\n",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("queued message lacks %q:\n%s", want, msg)
		}
	}
	if !strings.HasPrefix(msg, "Received: ") {
		t.Errorf("the Received line is not first:\n%s", msg)
	}
	if env != "Falice@client.example\x00Tbob@hub.example\x00\x00" {
		t.Errorf("queued envelope %q", env)
	}
}

// qmqpc runs qmail-qmqpc through qmail-queue's interface.
func qmqpc(t *testing.T, home, msg, sender string, rcpts ...string) qqueue.Result {
	t.Helper()
	q, err := qqueue.Start(testbin.Path(t, "qmail-qmqpc"), []string{"QMAILHOME=" + home})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(q, msg)
	return q.Close(sender, rcpts)
}

func TestQmqpcExitCodes(t *testing.T) {
	h := startHub(t, "qmail-qmqpd")
	hubAddr := fmt.Sprintf("127.0.0.1:%d", h.Port)
	big := strings.Repeat("a line of a big message\n", 100000) // spooled to a file
	for _, c := range []struct {
		why   string
		home  string
		code  int // the hub's queue's exit code
		msg   string
		rcpts []string
		want  int
	}{
		{"accepted", nullClient(t, hubAddr), 0, "m\n", []string{"b@hub"}, ExitOK},
		{"accepted, a message bigger than the memory buffer", nullClient(t, hubAddr), 0, big, []string{"b@hub"}, ExitOK},
		{"the hub's queue refuses permanently: D", nullClient(t, hubAddr), 31, "m\n", []string{"b@hub"}, ExitRefused},
		{"the hub's queue fails for now: Z", nullClient(t, hubAddr), 53, "m\n", []string{"b@hub"}, ExitTempRefused},
		{"the hub refuses an address of 1000 bytes: D", nullClient(t, hubAddr), 0, "m\n", []string{strings.Repeat("b", 1000)}, ExitRefused},
		{"no server takes the connection", nullClient(t, closedPort(t)), 0, "m\n", []string{"b@hub"}, ExitConnRefused},
		{"no usable server line at all", nullClient(t, "hub.example"), 0, "m\n", []string{"b@hub"}, ExitControl},
		{"no control/qmqpservers", t.TempDir(), 0, "m\n", []string{"b@hub"}, ExitControl},
		{"no qmail home", filepath.Join(t.TempDir(), "none"), 0, "m\n", []string{"b@hub"}, ExitHome},
	} {
		h.SetCode(t, c.code)
		before := len(h.Queued(t))
		r := qmqpc(t, c.home, c.msg, "a@client", c.rcpts...)
		if r.Code != c.want {
			t.Errorf("%s: exit %d (%s), want %d", c.why, r.Code, r.Text, c.want)
		}
		if c.want == ExitOK {
			q := h.Queued(t)
			if len(q) != before+1 {
				t.Errorf("%s: hub queued %d new messages", c.why, len(q)-before)
			} else if !strings.Contains(strings.Join(q, "\n"), c.msg+"|Fa@client\x00Tb@hub\x00\x00") {
				t.Errorf("%s: the message or envelope arrived changed", c.why)
			}
		}
	}
}

func TestQmqpcBadEnvelope(t *testing.T) {
	home := nullClient(t, "127.0.0.1:1")
	cmd := exec.Command(testbin.Path(t, "qmail-qmqpc"))
	cmd.Env = []string{"QMAILHOME=" + home}
	cmd.Stdin = strings.NewReader("m\n")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Write([]byte("Xnot an envelope\x00\x00"))
	w.Close()
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitFormat {
		t.Errorf("exit %v, want %d", err, ExitFormat)
	}
}

// A server that takes the connection and then breaks off, or answers
// nonsense, ends qmail-qmqpc with 74, and the next server is not tried.
func TestQmqpcBrokenServer(t *testing.T) {
	h := startHub(t, "qmail-qmqpd")
	for _, answer := range []string{"", "5:Xjunk,", "K"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			// Read the whole packet before answering, as a server does.
			n, err := readLengthFrom(c)
			if err == nil {
				io.CopyN(io.Discard, c, n+1)
			}
			io.WriteString(c, answer)
			c.Close()
		}()
		home := nullClient(t, l.Addr().String(), fmt.Sprintf("127.0.0.1:%d", h.Port))
		r := qmqpc(t, home, "m\n", "a@client", "b@hub")
		l.Close()
		if r.Code != ExitComm {
			t.Errorf("answer %q: exit %d, want %d", answer, r.Code, ExitComm)
		}
	}
	if q := h.Queued(t); len(q) != 0 {
		t.Errorf("the next server was tried: %q", q)
	}
}

// readLengthFrom reads a netstring length from an unbuffered connection
// a byte at a time, so nothing after the colon is consumed.
func readLengthFrom(c net.Conn) (int64, error) {
	var n int64
	b := make([]byte, 1)
	for {
		if _, err := io.ReadFull(c, b); err != nil {
			return 0, err
		}
		if b[0] == ':' {
			return n, nil
		}
		n = n*10 + int64(b[0]-'0')
	}
}

// Clients that send the start of a packet and stop hold their connections
// no longer than control/timeoutsmtpd, a limit on each read, rather than
// the hour qmail-qmqpd allows a whole connection: with tcpserver's -c 2
// taken by two of them, qmail-qmqpc is served as soon as they are cut
// off.
func TestStalledClientsTimeOut(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "qmail")
	testbin.WriteFiles(t, dir, map[string]string{"qmail/control/timeoutsmtpd": "1\n"})
	qq := testbin.StandInQueue(t, dir)
	srv := testbin.StartServer(t, testbin.Path(t, "tcpserver"), []string{"PATH=/bin:/usr/bin", "QMAILQUEUE=" + qq.Path, "QMAILHOME=" + home},
		"-v", "-RH", "-c", "2", "-l", "hub.example", "127.0.0.1", "0", testbin.Path(t, "qmail-qmqpd"))
	var stalled []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.DialTimeout("tcp", srv.Addr("127.0.0.1"), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, "10:") // a packet's length, and nothing more
		stalled = append(stalled, c)
	}
	if !testbin.Eventually(10*time.Second, func() bool { return strings.Contains(srv.Stderr.String(), "status: 2/2") }) {
		t.Fatalf("tcpserver did not take both connections; log: %s", srv.Stderr.String())
	}
	// qmail-qmqpc waits 60 s for each read: longer than the stalled
	// clients are held, much shorter than an hour.
	if r := qmqpc(t, nullClient(t, srv.Addr("127.0.0.1")), "m\n", "a@client", "b@hub"); r.Code != ExitOK {
		t.Fatalf("qmail-qmqpc: exit %d (%s); log: %s", r.Code, r.Text, srv.Stderr.String())
	}
	for i, s := range stalled {
		if rest, err := io.ReadAll(s); err != nil || len(rest) != 0 {
			t.Errorf("stalled client %d: %q, %v (want the connection closed)", i, rest, err)
		}
	}
	if n := strings.Count(srv.Stderr.String(), "qmail-qmqpd: fatal: unable to read from client: timed out\n"); n != 2 {
		t.Errorf("%d timeouts logged, want 2; log: %s", n, srv.Stderr.String())
	}
	if q := qq.Queued(t); len(q) != 1 {
		t.Errorf("queued %d messages, want 1", len(q))
	}
}
