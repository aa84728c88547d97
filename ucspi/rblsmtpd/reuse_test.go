package rblsmtpd_test

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// reusedServer runs tcpserver -v with TCPSERVERREUSE=10 and the rules
// cdb rules, in front of rblsmtpd and prog.
func reusedServer(t *testing.T, env []string, rules string, prog ...string) *testbin.Server {
	t.Helper()
	env = append([]string{"PATH=/usr/bin:/bin", "TCPSERVERREUSE=10"}, env...)
	args := append([]string{"-vRHl0", "-x", rules, "127.0.0.1", "0", testbin.Path(t, "rblsmtpd")}, prog...)
	return testbin.StartServer(t, testbin.Path(t, "tcpserver"), env, args...)
}

// setRules compiles text into the rules cdb at path with tcprules.
func setRules(t *testing.T, path, text string) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "tcprules"), path, path+".tmp")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tcprules: %v: %s", err, out)
	}
}

// greeting connects, reads the first line and says QUIT; it returns the
// first line and what followed until the server closed.
func greeting(t *testing.T, srv *testbin.Server) (first, rest string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr("127.0.0.1"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	first, err = r.ReadString('\n')
	if err != nil {
		t.Fatalf("no greeting: %v", err)
	}
	c.Write([]byte("QUIT\r\n"))
	var b strings.Builder
	for {
		l, err := r.ReadString('\n')
		b.WriteString(l)
		if err != nil {
			break
		}
	}
	return first, b.String()
}

// waitEnds waits until the log has n "end" lines: a connection is
// given to an idle process only once its previous one has ended.
func waitEnds(t *testing.T, srv *testbin.Server, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); len(endedBy.FindAllString(srv.Stderr.String(), -1)) < n; {
		if time.Now().After(end) {
			t.Fatalf("want %d end lines:\n%s", n, srv.Stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var endedBy = regexp.MustCompile(`(?m)^tcpserver: end \d+ status \d+$`)

var servedBy = regexp.MustCompile(`(?m)^tcpserver: pid (\d+) from 127\.0\.0\.1$`)

// servers waits until the log has n "pid" lines and returns their pids.
func servers(t *testing.T, srv *testbin.Server, n int) []string {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; {
		m := servedBy.FindAllStringSubmatch(srv.Stderr.String(), -1)
		if len(m) >= n {
			var pids []string
			for _, x := range m {
				pids = append(pids, x[1])
			}
			return pids
		}
		if time.Now().After(end) {
			t.Fatalf("%d pid lines, want %d:\n%s", len(m), n, srv.Stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A reused rblsmtpd runs quail's qmail-smtpd in its own process for the
// clients it lets through, refuses the listed ones itself, and sees
// each connection's own rule variables: one process serves all three.
func TestReusedRunsQmailSmtpdInside(t *testing.T) {
	home, _ := testbin.SMTPHome(t, "mx.test", "mx.test")
	rules := filepath.Join(t.TempDir(), "rules.cdb")
	setRules(t, rules, "127.0.0.1:allow\n")
	srv := reusedServer(t, []string{"QMAILHOME=" + home}, rules, testbin.Path(t, "qmail-smtpd"))

	if g, rest := greeting(t, srv); !strings.HasPrefix(g, "220 mx.test ESMTP") || !strings.HasPrefix(rest, "221 ") {
		t.Fatalf("first client: %q then %q, want qmail-smtpd's greeting and 221", g, rest)
	}
	waitEnds(t, srv, 1)
	setRules(t, rules, "127.0.0.1:allow,RBLSMTPD=\"-go away\"\n")
	if g, _ := greeting(t, srv); g != "220 rblsmtpd.local\r\n" {
		t.Fatalf("listed client: greeting %q, want rblsmtpd's", g)
	}
	waitEnds(t, srv, 2)
	setRules(t, rules, "127.0.0.1:allow\n")
	if g, _ := greeting(t, srv); !strings.HasPrefix(g, "220 mx.test ESMTP") {
		t.Fatalf("third client: greeting %q: the previous connection's RBLSMTPD stayed", g)
	}
	pids := servers(t, srv, 3)
	if pids[0] != pids[1] || pids[1] != pids[2] {
		t.Errorf("served by %v, want one reused rblsmtpd", pids)
	}
	if strings.Contains(srv.Stderr.String(), "crashed") {
		t.Errorf("log: %s", srv.Stderr.String())
	}
}

// Any other program after a reused rblsmtpd is started for each
// connection, with that connection's environment, and its exit code is
// what tcpserver logs.
func TestReusedStartsOtherPrograms(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "rules.cdb")
	setRules(t, rules, "127.0.0.1:allow\n")
	srv := reusedServer(t, nil, rules, "sh", "-c", `echo "220 $$ $TCPREMOTEPORT"; exit 3`)
	var children []string
	for i := 0; i < 2; i++ {
		c, err := net.DialTimeout("tcp", srv.Addr("127.0.0.1"), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.TCPAddr).Port
		c.SetDeadline(time.Now().Add(20 * time.Second))
		l, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		f := strings.Fields(l)
		if err != nil || len(f) != 3 || f[0] != "220" {
			t.Fatalf("connection %d: %q, %v", i, l, err)
		}
		if f[2] != strconv.Itoa(port) {
			t.Errorf("connection %d: the program saw TCPREMOTEPORT %s, the client's port is %d", i, f[2], port)
		}
		children = append(children, f[1])
		waitEnds(t, srv, i+1)
	}
	if n := strings.Count(srv.Stderr.String(), " status 768\n"); n != 2 {
		t.Errorf("%d 'end PID status 768' lines, want 2 (exit code 3)", n)
	}
	pids := servers(t, srv, 2)
	if pids[0] != pids[1] {
		t.Errorf("rblsmtpd processes %v, want one reused", pids)
	}
	if children[0] == children[1] || children[0] == pids[0] {
		t.Errorf("programs ran as %v (rblsmtpd %s), want a new process each", children, pids[0])
	}
}
