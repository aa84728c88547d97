package tcpserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

var statusLine = regexp.MustCompile(`^tcpserver: status: (\d+)/(\d+)$`)

// maxStatus is the highest connection count the status lines showed.
func maxStatus(t *testing.T, log string, limit int) int {
	t.Helper()
	most := 0
	for _, l := range strings.Split(log, "\n") {
		m := statusLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if m[2] != strconv.Itoa(limit) {
			t.Fatalf("status line %q does not show the limit %d", l, limit)
		}
		most = max(most, n)
	}
	return most
}

// TestLoad sends 10,000 connections, 100 at a time, to tcpserver -c 50
// with a trivial child: every one must be served, and the status lines
// must never show more than 50 live connections. The backlog is raised to
// the client count, since connections beyond the limit wait in the
// kernel's queue and a full queue drops handshakes (in the original too).
func TestLoad(t *testing.T) {
	total := 10000
	if testing.Short() {
		total = 1000
	}
	const clients, limit = 100, 50
	echo, err := exec.LookPath("echo")
	if err != nil {
		t.Skip("no echo(1)")
	}
	srv := startServer(t, testbin.Path(t, "tcpserver"), baseEnv(), "-vRHl0", "-c", strconv.Itoa(limit), "-b", "128", "127.0.0.1", "0", echo, "ok")
	var next, served atomic.Int64
	var wg sync.WaitGroup
	var failMu sync.Mutex
	var failures []string
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				got, err := fetch(srv.Port)
				if err != nil || got != "ok\n" {
					failMu.Lock()
					failures = append(failures, strconv.Quote(got)+" "+errString(err))
					failMu.Unlock()
					continue
				}
				served.Add(1)
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d connections not served, first: %s", len(failures), total, failures[0])
	}
	srv.waitLog(`^tcpserver: end \d+ status 0$`, total)
	if most := maxStatus(t, srv.Log(), limit); most > limit {
		t.Fatalf("status lines show %d live connections, over the limit %d", most, limit)
	} else {
		t.Logf("%d connections served, at most %d live", served.Load(), most)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func fetch(port int) (string, error) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 20*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// held is a client connection kept open to a child that echoes lines.
type held struct {
	c net.Conn
	r *bufio.Reader
}

// hold connects from source and waits for the child's first line.
func hold(t *testing.T, source string, port int, want string) *held {
	t.Helper()
	c, err := dialFrom(source, "127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	h := &held{c: c, r: bufio.NewReader(c)}
	if want != "" {
		if l, err := h.r.ReadString('\n'); l != want {
			t.Fatalf("from %s: got %q (%v), want %q", source, l, err, want)
		}
	}
	return h
}

// closed reports whether the server closed the connection without
// sending anything more.
func (h *held) closed() bool {
	b, err := h.r.ReadByte()
	_ = b
	return err != nil && (errors.Is(err, io.EOF) || isReset(err))
}

// TestLimitDefersAccept holds two children under -c 2: a third client's
// connection is only taken once one of them ends, which the log shows as
// its pid line coming after an end line, and the status never passing 2.
func TestLimitDefersAccept(t *testing.T) {
	srv := startServer(t, testbin.Path(t, "tcpserver"), baseEnv(), "-vRHl0", "-c", "2", "-B", "hello\n", "127.0.0.1", "0", "sh", "-c", "echo served; exec cat")
	a := hold(t, "", srv.Port, "hello\n")
	a.r.ReadString('\n')
	b := hold(t, "", srv.Port, "hello\n")
	b.r.ReadString('\n')
	c := hold(t, "", srv.Port, "") // queued by the kernel
	a.c.(*net.TCPConn).CloseWrite()
	srv.waitLog(`^tcpserver: end `, 1)
	for _, want := range []string{"hello\n", "served\n"} {
		if l, err := c.r.ReadString('\n'); l != want {
			t.Fatalf("third client got %q (%v), want %q", l, err, want)
		}
	}
	// tcpserver logs a child's pid after the fork, so the child may have
	// answered before its line is written.
	srv.waitLog(`^tcpserver: pid `, 3)
	log := srv.Log()
	firstEnd := strings.Index(log, "tcpserver: end ")
	pids := regexp.MustCompile(`tcpserver: pid \d+ from`).FindAllStringIndex(log, -1)
	if len(pids) != 3 || pids[2][0] < firstEnd {
		t.Fatalf("third child started before a slot was free:\n%s", log)
	}
	if most := maxStatus(t, log, 2); most != 2 {
		t.Fatalf("status reached %d, want 2:\n%s", most, log)
	}
}

// TestMaxConIP limits 127.0.0.1 to two live programs through a rule's
// MAXCONIP: a third connection from it is refused and logged, one from
// 127.0.0.2 is served meanwhile, and once one of the first two ends its
// address has a place again.
func TestMaxConIP(t *testing.T) {
	cdb := compileRules(t, "127.0.0.1:allow,MAXCONIP=\"2\"\n")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"rule", []string{"-x", cdb}},
		{"option -C with a rule", []string{"-C", "5", "-x", cdb}},
		{"option -C alone", []string{"-C", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-vRHl0", "-B", "hello\n"}, tc.args...)
			args = append(args, "127.0.0.1", "0", "sh", "-c", "echo served; exec cat")
			srv := startServer(t, testbin.Path(t, "tcpserver"), baseEnv(), args...)
			a := hold(t, "127.0.0.1", srv.Port, "hello\n")
			a.r.ReadString('\n')
			b := hold(t, "127.0.0.1", srv.Port, "hello\n")
			b.r.ReadString('\n')
			third := hold(t, "127.0.0.1", srv.Port, "hello\n")
			if !third.closed() {
				t.Fatal("third connection from 127.0.0.1 was not refused")
			}
			srv.waitLog(`^tcpserver: deny 0 0:::ffff:127.0.0.1:\d+ :::ffff:127.0.0.1::\d+ ip connection limit:2 exceeded$`, 1)
			other := hold(t, "127.0.0.2", srv.Port, "hello\n")
			if l, err := other.r.ReadString('\n'); l != "served\n" {
				t.Fatalf("127.0.0.2 got %q (%v)", l, err)
			}
			a.c.Close()
			srv.waitLog(`^tcpserver: end `, 1)
			again := hold(t, "127.0.0.1", srv.Port, "hello\n")
			if l, err := again.r.ReadString('\n'); l != "served\n" {
				t.Fatalf("after one ended, 127.0.0.1 got %q (%v)", l, err)
			}
		})
	}
}

// TestSIGTERM: the server exits 0 at once, and a child that is serving a
// client goes on serving it.
func TestSIGTERM(t *testing.T) {
	srv := startServer(t, testbin.Path(t, "tcpserver"), baseEnv(), "-RHl0", "127.0.0.1", "0", "sh", "-c", "echo served; exec cat")
	h := hold(t, "", srv.Port, "served\n")
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.Done:
	case <-time.After(20 * time.Second):
		t.Fatal("tcpserver did not exit on SIGTERM")
	}
	if srv.Err != nil {
		t.Fatalf("tcpserver exited with %v after SIGTERM, want 0", srv.Err)
	}
	io.WriteString(h.c, "still there\n")
	if l, err := h.r.ReadString('\n'); l != "still there\n" {
		t.Fatalf("child after the server's exit: %q (%v)", l, err)
	}
	if _, err := dialFrom("", "127.0.0.1", srv.Port); err == nil {
		t.Fatal("server still accepts after SIGTERM")
	}
}

// TestEndStatus checks the pid, ok and end lines of one connection: the
// same pid throughout and the raw wait status (exit 3 = 768).
func TestEndStatus(t *testing.T) {
	srv := startServer(t, testbin.Path(t, "tcpserver"), baseEnv(), "-vRHl", "me", "127.0.0.1", "0", "sh", "-c", "exit 3")
	talk(t, "", "127.0.0.1", srv.Port, "")
	end := srv.waitLog(`^tcpserver: end `, 1)[0]
	pid := regexp.MustCompile(`^tcpserver: end (\d+) status 768$`).FindStringSubmatch(end)
	if pid == nil {
		t.Fatalf("end line %q", end)
	}
	srv.waitLog(`^tcpserver: pid `+pid[1]+` from 127\.0\.0\.1$`, 1)
	srv.waitLog(`^tcpserver: ok `+pid[1]+` me:::ffff:127\.0\.0\.1:\d+ :::ffff:127\.0\.0\.1::\d+$`, 1)
}

// TestDropped: a program that cannot be run, and a rules file that cannot
// be read, drop the connection with a warning and the server goes on.
func TestDropped(t *testing.T) {
	srv := startServer(t, testbin.Path(t, "tcpserver"), baseEnv(), "-RHl0", "-x", "/nonexistent.cdb", "127.0.0.1", "0", "true")
	if got := talk(t, "", "127.0.0.1", srv.Port, ""); got != "" {
		t.Fatalf("got %q", got)
	}
	srv.waitLog(`^tcpserver: warning: dropping connection, unable to read /nonexistent.cdb: file does not exist$`, 1)
	srv = startServer(t, testbin.Path(t, "tcpserver"), baseEnv(), "-RHl0", "127.0.0.1", "0", "/nonexistent/prog")
	talk(t, "", "127.0.0.1", srv.Port, "")
	talk(t, "", "127.0.0.1", srv.Port, "")
	srv.waitLog(`^tcpserver: warning: dropping connection, unable to run /nonexistent/prog: file does not exist$`, 2)
}

// TestStartupErrors compares exit codes and messages with Debian's for a
// port in use and for usage errors.
func TestStartupErrors(t *testing.T) {
	theirs := testbin.Peer(t, "tcpserver")
	ours := testbin.Path(t, "tcpserver")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string // the line both print (usage lines differ in the option list)
	}{
		{"port in use", []string{"-RHl0", "127.0.0.1", busy, "true"}, 111, "tcpserver: fatal: unable to bind: address already used\n"},
		{"unknown port name", []string{"-RHl0", "127.0.0.1", "no-such-service", "true"}, 111, "tcpserver: fatal: unable to figure out port number for no-such-service\n"},
		{"missing program", []string{"-RHl0", "127.0.0.1", "0"}, 100, ""},
		{"unknown option", []string{"-Z", "0", "0", "true"}, 100, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, bin := range []string{theirs, ours} {
				cmd := exec.Command(bin, tc.args...)
				cmd.Env = baseEnv()
				out, err := cmd.CombinedOutput()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				}
				if code != tc.code {
					t.Errorf("%s: exit %d, want %d (%s)", bin, code, tc.code, out)
				}
				if tc.msg != "" && string(out) != tc.msg {
					t.Errorf("%s: printed %q, want %q", bin, out, tc.msg)
				}
				if tc.code == 100 && !strings.Contains(string(out), "tcpserver: usage: tcpserver ") {
					t.Errorf("%s: no usage line: %q", bin, out)
				}
			}
		})
	}
}
