package tcpserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// These tests run tcpserver with TCPSERVERREUSE and quail's qmail-smtpd,
// as an administrator would, and read who served what from tcpserver's
// -v lines: "pid N from IP" when a connection is given to process N,
// "end N status S" when that connection is over.

// reuseSetup is a qmail home for qmail-smtpd (me: mx.test, rcpthosts:
// mx.test) and a copy of qmail-smtpd in a directory of the test's own, so
// that a test may replace it.
type reuseSetup struct {
	home  string
	smtpd string
	queue *testbin.QueueStandIn
}

func newReuseSetup(t *testing.T) *reuseSetup {
	t.Helper()
	home, q := testbin.SMTPHome(t, "mx.test", "mx.test")
	smtpd := filepath.Join(t.TempDir(), "qmail-smtpd")
	testbin.CopyProgram(t, "qmail-smtpd", smtpd, 0o755)
	return &reuseSetup{home: home, smtpd: smtpd, queue: q}
}

// start runs tcpserver -vRHl0 on 127.0.0.1 with TCPSERVERREUSE=reuse (""
// unset) and prog (default: the copy of qmail-smtpd). When the test ends,
// the processes it gave connections to and still has as children are
// killed first (tests that stop tcpserver wait for theirs to exit).
func (s *reuseSetup) start(t *testing.T, reuse string, extraArgs []string, prog ...string) *running {
	t.Helper()
	env := baseEnv("QMAILHOME=" + s.home)
	if reuse != "" {
		env = append(env, "TCPSERVERREUSE="+reuse)
	}
	if len(prog) == 0 {
		prog = []string{s.smtpd}
	}
	args := append(append([]string{"-vRHl0"}, extraArgs...), "127.0.0.1", "0")
	srv := startServer(t, ours(t), env, append(args, prog...)...)
	// Registered after startServer's cleanup, so it runs first. Only
	// live children of this tcpserver: a pid in the log may have been
	// reaped and taken by another process since.
	t.Cleanup(func() {
		logged := map[int]bool{}
		for _, pid := range srv.pids() {
			logged[pid] = true
		}
		for _, pid := range testbin.Children(srv.Cmd.Process.Pid) {
			if logged[pid] {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return srv
}

var (
	pidLine = regexp.MustCompile(`^tcpserver: pid (\d+) from 127\.0\.0\.1$`)
	endLine = regexp.MustCompile(`^tcpserver: end (\d+) status (\d+)$`)
)

// pids are the pids of the "pid" lines so far, in order.
func (r *running) pids() []int {
	var out []int
	for _, l := range strings.Split(r.Log(), "\n") {
		if m := pidLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
	}
	return out
}

// ends are the "end" lines so far as pid and status.
func (r *running) ends() [][2]int {
	var out [][2]int
	for _, l := range strings.Split(r.Log(), "\n") {
		if m := endLine.FindStringSubmatch(l); m != nil {
			pid, _ := strconv.Atoi(m[1])
			st, _ := strconv.Atoi(m[2])
			out = append(out, [2]int{pid, st})
		}
	}
	return out
}

// waitPids waits for n "pid" lines: the connection's greeting, written by
// the program, may come before tcpserver's line.
func (r *running) waitPids(n int) []int {
	r.t.Helper()
	r.waitLog(pidLine.String(), n)
	return r.pids()
}

// waitEnds waits for n "end" lines.
func (r *running) waitEnds(n int) [][2]int {
	r.t.Helper()
	r.waitLog(endLine.String(), n)
	return r.ends()
}

// smtpConn is one client connection.
type smtpConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// dialSMTP connects and reads the greeting, which must be 220.
func dialSMTP(t *testing.T, port int) *smtpConn {
	t.Helper()
	c, err := dialFrom("", "127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	s := &smtpConn{t: t, c: c, r: bufio.NewReader(c)}
	if g := s.reply(); !strings.HasPrefix(g, "220 mx.test ESMTP") {
		t.Fatalf("greeting %q", g)
	}
	return s
}

// reply reads one reply and returns its last line ("EOF" at the end).
func (s *smtpConn) reply() string {
	for {
		l, err := s.r.ReadString('\n')
		if err != nil {
			return "EOF"
		}
		if len(l) < 4 || l[3] != '-' {
			return strings.TrimRight(l, "\r\n")
		}
	}
}

// cmd sends a command line and returns the reply's last line.
func (s *smtpConn) cmd(line string) string {
	if _, err := io.WriteString(s.c, line+"\r\n"); err != nil {
		return "EOF"
	}
	return s.reply()
}

// quit says QUIT, wants 221, then the end of the connection.
func (s *smtpConn) quit() {
	s.t.Helper()
	if r := s.cmd("QUIT"); !strings.HasPrefix(r, "221 ") {
		s.t.Fatalf("QUIT: %q", r)
	}
	s.waitClosed()
}

// waitClosed wants the end of the connection and nothing before it.
func (s *smtpConn) waitClosed() {
	s.t.Helper()
	rest, err := io.ReadAll(s.r)
	if err != nil && !isReset(err) {
		s.t.Fatalf("reading to the end: %v", err)
	}
	if len(rest) > 0 {
		s.t.Fatalf("after the last reply: %q", rest)
	}
	s.c.Close()
}

// session is one whole connection: greeting and QUIT. It returns once
// tcpserver has logged the connection's end, so that the process is back
// among the idle ones before the next connection.
func session(t *testing.T, srv *running) {
	t.Helper()
	n := len(srv.ends())
	dialSMTP(t, srv.Port).quit()
	srv.waitEnds(n + 1)
}

// gone tells whether pid has exited: no such process, or a zombie (a
// process whose parent has gone is reaped by init, if at all).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	if !testbin.Eventually(5*time.Second, func() bool { return gone(pid) }) {
		t.Fatalf("%s (pid %d) still running after 5 s", what, pid)
	}
}

// checkPaired wants one "end" line for each "pid" line, in order, each
// with the pid of its connection; it returns the pids.
func checkPaired(t *testing.T, srv *running, status int) []int {
	t.Helper()
	pids, ends := srv.pids(), srv.ends()
	if len(pids) != len(ends) {
		t.Fatalf("%d pid lines, %d end lines:\n%s", len(pids), len(ends), srv.Log())
	}
	for i, e := range ends {
		if e[0] != pids[i] || e[1] != status {
			t.Fatalf("connection %d: pid %d, end line %v, want end %d status %d:\n%s", i, pids[i], e, pids[i], status, srv.Log())
		}
	}
	return pids
}

// checkAlternate wants, for every process, its "pid" and "end" lines to
// alternate, starting with "pid" and ending with "end", and every status
// 0: a log reader pairs each end with the connection before it.
func checkAlternate(t *testing.T, srv *running) {
	t.Helper()
	alternate(t, srv, true)
}

// checkAlternateAny is checkAlternate with any status.
func checkAlternateAny(t *testing.T, srv *running) {
	t.Helper()
	alternate(t, srv, false)
}

func alternate(t *testing.T, srv *running, zero bool) {
	t.Helper()
	lines := strings.Split(srv.Log(), "\n")
	around := func(i int) string {
		return strings.Join(lines[max(0, i-8):min(len(lines), i+8)], "\n")
	}
	open := map[string]bool{}
	for i, l := range lines {
		if m := pidLine.FindStringSubmatch(l); m != nil {
			if open[m[1]] {
				t.Fatalf("log line %d: %q while pid %s still serves a connection; around it:\n%s", i+1, l, m[1], around(i))
			}
			open[m[1]] = true
		}
		if m := endLine.FindStringSubmatch(l); m != nil {
			if !open[m[1]] || zero && m[2] != "0" {
				t.Fatalf("log line %d: %q, for no connection of pid %s or not status 0; around it:\n%s", i+1, l, m[1], around(i))
			}
			open[m[1]] = false
		}
	}
	for pid, o := range open {
		if o {
			t.Fatalf("no end line for the last connection of pid %s:\n%s", pid, srv.Log())
		}
	}
}

// TestReuseMaxUse: with TCPSERVERREUSE=3, one qmail-smtpd serves three
// connections in turn, each greeted and ended as if it had a process of
// its own, then exits; the next three go to another process.
func TestReuseMaxUse(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "3", nil)
	for range 5 {
		session(t, srv)
	}
	pids := checkPaired(t, srv, 0)
	if pids[0] != pids[1] || pids[1] != pids[2] {
		t.Errorf("first three connections served by %v, want one process", pids[:3])
	}
	if pids[3] == pids[0] {
		t.Errorf("fourth connection served by %d, which had served three already", pids[3])
	}
	if pids[4] != pids[3] {
		t.Errorf("fifth connection served by %d, fourth by %d: want the same", pids[4], pids[3])
	}
	waitGone(t, pids[0], "qmail-smtpd after its third connection")
	if gone(pids[3]) {
		t.Errorf("qmail-smtpd %d exited after two of its three connections", pids[3])
	}
	if strings.Contains(srv.Log(), "warning") {
		t.Errorf("warnings in the log:\n%s", srv.Log())
	}
}

// TestReuseOff: without TCPSERVERREUSE, or with 0 or 1, each connection
// has a process of its own, as in the original.
func TestReuseOff(t *testing.T) {
	s := newReuseSetup(t)
	for _, v := range []string{"", "0", "1"} {
		t.Run("TCPSERVERREUSE="+v, func(t *testing.T) {
			srv := s.start(t, v, nil)
			for range 3 {
				session(t, srv)
			}
			pids := checkPaired(t, srv, 0)
			if pids[0] == pids[1] || pids[1] == pids[2] || pids[0] == pids[2] {
				t.Fatalf("pids %v: a process served two connections", pids)
			}
		})
	}
}

// TestReuseConcurrent: connections open at once have a process each;
// when they are over, those processes serve the next ones.
func TestReuseConcurrent(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "100", nil)
	a := dialSMTP(t, srv.Port)
	b := dialSMTP(t, srv.Port)
	if r := a.cmd("HELO a.test"); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("HELO on the first: %q", r)
	}
	b.quit()
	a.quit()
	srv.waitEnds(2)
	first := srv.pids()
	if first[0] == first[1] {
		t.Fatalf("two connections at once given to one process %d", first[0])
	}
	session(t, srv)
	session(t, srv)
	checkAlternate(t, srv)
	pids := srv.pids()
	for _, p := range pids[2:] {
		if p != first[0] && p != first[1] {
			t.Errorf("pids %v: a later connection started a process while two were idle", pids)
		}
	}
}

// TestReuseEnvironmentPerConnection: each connection is served with its
// own environment, and nothing of the previous connection's stays in the
// process: the rules are rebuilt between two connections to one process,
// the first may relay, the second may not.
func TestReuseEnvironmentPerConnection(t *testing.T) {
	s := newReuseSetup(t)
	cdb := filepath.Join(t.TempDir(), "rules.cdb")
	setRules := func(text string) { t.Helper(); buildRules(t, cdb, text) }
	// A queue program that notes the descriptors it was started with,
	// then queues: nothing of tcpserver's may reach it.
	fdsSeen := filepath.Join(t.TempDir(), "fds")
	queue := writeFile(t, t.TempDir(), "qmail-queue",
		"#!/bin/sh\nfor f in /proc/$$/fd/*; do echo \"$f $(readlink $f)\"; done >> '"+fdsSeen+"'\nexec '"+s.queue.Path+"'\n", 0o755)
	setRules("127.0.0.1:allow,RELAYCLIENT=\"\",QMAILQUEUE=\"" + queue + "\"\n")
	srv := s.start(t, "10", []string{"-x", cdb})

	relay := func(want string) {
		t.Helper()
		n := len(srv.ends())
		c := dialSMTP(t, srv.Port)
		for _, step := range []struct{ cmd, want string }{
			{"HELO client.test", "250 "},
			{"MAIL FROM:<a@client.test>", "250 "},
			{"RCPT TO:<victim@far.test>", want},
		} {
			if r := c.cmd(step.cmd); !strings.HasPrefix(r, step.want) {
				t.Fatalf("%s: %q, want %q", step.cmd, r, step.want)
			}
		}
		if strings.HasPrefix(want, "250") {
			if r := c.cmd("DATA"); !strings.HasPrefix(r, "354") {
				t.Fatalf("DATA: %q", r)
			}
			if r := c.cmd("Subject: relayed\r\n\r\nhello\r\n."); !strings.HasPrefix(r, "250 ") {
				t.Fatalf("end of data: %q", r)
			}
		}
		c.quit()
		srv.waitEnds(n + 1)
	}
	relay("250 ")
	setRules("127.0.0.1:allow,MARK=\"two\"\n")
	relay("553 ")
	setRules("127.0.0.1:allow,RELAYCLIENT=\"\"\n")
	relay("250 ")

	// QMAILQUEUE was the first connection's only; the third used the
	// default queue program, which keeps no list of descriptors.
	seen, err := os.ReadFile(fdsSeen)
	if err != nil {
		t.Fatalf("the first connection's QMAILQUEUE did not run: %v", err)
	}
	if n := strings.Count(string(seen), "/fd/0 "); n != 1 {
		t.Errorf("the first connection's QMAILQUEUE ran %d times, want once:\n%s", n, seen)
	}
	inherited := inheritedFDs(t)
	for _, l := range strings.Split(strings.TrimSpace(string(seen)), "\n") {
		path, target, _ := strings.Cut(l, " ")
		if strings.Contains(target, "socket:") && !inherited[filepath.Base(path)] {
			t.Errorf("the queue program was started holding a socket:\n%s", seen)
		}
	}

	pids := checkPaired(t, srv, 0)
	if pids[0] != pids[1] || pids[1] != pids[2] {
		t.Fatalf("pids %v: want one process for the three connections", pids)
	}
	queued := s.queue.Queued(t)
	if len(queued) != 2 {
		t.Fatalf("queued %d messages, want 2: %q", len(queued), queued)
	}
	for _, q := range queued {
		msg, env, _ := strings.Cut(q, "|")
		if !strings.Contains(env, "Tvictim@far.test\x00") {
			t.Errorf("envelope %q lacks the relayed recipient", env)
		}
		// The Received field is made from this connection's TCPREMOTEIP.
		if !strings.Contains(msg, "(127.0.0.1)") {
			t.Errorf("message lacks the client's address:\n%s", msg)
		}
	}
}

// inheritedFDs are the descriptors this test process has without
// close-on-exec, which every program it starts (tcpserver) passes on as
// they are: not the programs' doing.
func inheritedFDs(t *testing.T) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fdinfo")
	if err != nil {
		t.Skip("no /proc/self/fdinfo")
	}
	out := map[string]bool{}
	for _, e := range ents {
		b, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "flags:"); ok {
				if f, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64); err == nil && f&syscall.O_CLOEXEC == 0 {
					out[e.Name()] = true
				}
			}
		}
	}
	return out
}

// buildRules compiles text into the rules cdb at path with tcprules.
func buildRules(t *testing.T, path, text string) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "tcprules"), path, path+".tmp")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tcprules: %v: %s", err, out)
	}
}

// TestReuseLargeEnvironment: a connection whose environment is too large
// to hand over is served by a process started for it, without a word in
// the log; the idle process stays for the next one.
func TestReuseLargeEnvironment(t *testing.T) {
	s := newReuseSetup(t)
	cdb := filepath.Join(t.TempDir(), "rules.cdb")
	buildRules(t, cdb, "127.0.0.1:allow\n")
	srv := s.start(t, "10", []string{"-x", cdb})
	session(t, srv)
	buildRules(t, cdb, "127.0.0.1:allow,BIG=\""+strings.Repeat("x", 70<<10)+"\"\n")
	session(t, srv)
	buildRules(t, cdb, "127.0.0.1:allow\n")
	session(t, srv)
	pids := checkPaired(t, srv, 0)
	if pids[1] == pids[0] {
		t.Errorf("pids %v: a 70 KiB environment handed to the reused process", pids)
	}
	if pids[2] != pids[0] {
		t.Errorf("pids %v: the idle process was not there for the third connection: the one too large to hand over retired it", pids)
	}
	if strings.Contains(srv.Log(), "warning") {
		t.Errorf("warnings in the log:\n%s", srv.Log())
	}
}

// TestReuseLimits: a connection served by a reused process holds its
// place under -c and -C while it lasts and gives it back at its end.
func TestReuseLimits(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", []string{"-c", "2", "-C", "1"})
	for range 3 {
		session(t, srv)
	}
	a := dialSMTP(t, srv.Port)
	// A second connection from the same address is over -C 1.
	conn, err := dialFrom("", "127.0.0.1", srv.Port)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if b, _ := io.ReadAll(conn); len(b) != 0 {
		t.Fatalf("second connection at once, over -C 1: %q", b)
	}
	conn.Close()
	srv.waitLog(`^tcpserver: deny 0 .* ip connection limit:1 exceeded$`, 1)
	a.quit()
	srv.waitEnds(4)
	session(t, srv)
	pids := checkPaired(t, srv, 0)
	for _, p := range pids {
		if p != pids[0] {
			t.Fatalf("pids %v: want one process for every connection", pids)
		}
	}
	if n := maxStatus(t, srv.Log(), 2); n > 2 {
		t.Fatalf("status lines show %d connections, limit 2", n)
	}
	if !strings.HasSuffix(strings.TrimSpace(srv.Log()), "tcpserver: status: 0/2") {
		t.Fatalf("log does not end with status 0/2:\n%s", srv.Log())
	}
}

// procCounts are a process's open descriptors and threads.
func procCounts(t *testing.T, pid int) (fds, threads int) {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatalf("process %d: %v", pid, err)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			threads, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return len(ents), threads
}

// TestReuseNoGrowth: a process serving connection after connection, ended
// in every way a session ends, keeps no descriptor of theirs and gains
// no threads.
func TestReuseNoGrowth(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "1000", nil)
	kinds := []func(){
		func() { session(t, srv) },
		func() {
			// A message queued.
			n := len(srv.ends())
			c := dialSMTP(t, srv.Port)
			for _, l := range []string{"HELO a.test", "MAIL FROM:<a@a.test>", "RCPT TO:<u@mx.test>", "DATA", "Subject: x\r\n\r\nbody\r\n."} {
				if r := c.cmd(l); !strings.HasPrefix(r, "250 ") && !strings.HasPrefix(r, "354 ") {
					t.Fatalf("%s: %q", l, r)
				}
			}
			c.quit()
			srv.waitEnds(n + 1)
		},
		func() {
			// The client goes without QUIT, in the middle of DATA.
			n := len(srv.ends())
			c := dialSMTP(t, srv.Port)
			c.cmd("HELO a.test")
			c.cmd("MAIL FROM:<a@a.test>")
			c.cmd("RCPT TO:<u@mx.test>")
			c.cmd("DATA")
			io.WriteString(c.c, "Subject: cut\r\n")
			c.c.Close()
			srv.waitEnds(n + 1)
		},
		func() {
			// An overlong line: code 111.
			n := len(srv.ends())
			c := dialSMTP(t, srv.Port)
			c.cmd(strings.Repeat("x", 5000))
			c.waitClosed()
			srv.waitEnds(n + 1)
		},
	}
	session(t, srv)
	pid := srv.pids()[0]
	for _, k := range kinds {
		k()
	}
	fds, threads := procCounts(t, pid)
	for i := range 30 {
		kinds[i%len(kinds)]()
	}
	for _, p := range srv.pids() {
		if p != pid {
			t.Fatalf("pids %v: want one process throughout", srv.pids())
		}
	}
	fds2, threads2 := procCounts(t, pid)
	if fds2 != fds {
		t.Errorf("process %d: %d descriptors open after 30 more connections, %d before", pid, fds2, fds)
	}
	if threads2 > threads {
		t.Errorf("process %d: %d threads after 30 more connections, %d before", pid, threads2, threads)
	}
}

// TestReuseExitCodes: the status logged for a connection served by a
// reused process is the wait status its code would have made, and a
// failed connection does not end the process.
func TestReuseExitCodes(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", nil)
	session(t, srv)

	// A command line over the limit: 500, and qmail-smtpd's code 111.
	c := dialSMTP(t, srv.Port)
	if r := c.cmd(strings.Repeat("x", 5000)); !strings.HasPrefix(r, "500 ") {
		t.Fatalf("overlong line: %q", r)
	}
	c.waitClosed()
	if e := srv.waitEnds(2)[1]; e[1] != 111<<8 {
		t.Errorf("end line %v after an overlong line, want status %d", e, 111<<8)
	}

	// Unreadable controls: 421, and code 1.
	rcpthosts := filepath.Join(s.home, "control", "rcpthosts")
	saved, err := os.ReadFile(rcpthosts)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(rcpthosts)
	if err := os.Mkdir(rcpthosts, 0o755); err != nil {
		t.Fatal(err)
	}
	conn, err := dialFrom("", "127.0.0.1", srv.Port)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	got, _ := io.ReadAll(conn)
	conn.Close()
	if !strings.HasPrefix(string(got), "421 ") {
		t.Fatalf("with control/rcpthosts a directory: %q, want 421", got)
	}
	if e := srv.waitEnds(3)[2]; e[1] != 1<<8 {
		t.Errorf("end line %v after unreadable controls, want status %d", e, 1<<8)
	}
	os.Remove(rcpthosts)
	if err := os.WriteFile(rcpthosts, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	session(t, srv)
	pids := srv.pids()
	for _, p := range pids {
		if p != pids[0] {
			t.Fatalf("pids %v: want one process throughout", pids)
		}
	}
}

// TestReuseWrapperNotReused: a script in qmail-smtpd's place, even one
// that runs quail's qmail-smtpd, is started for every connection: only
// a program known to speak the protocol is given connections in turn.
func TestReuseWrapperNotReused(t *testing.T) {
	s := newReuseSetup(t)
	wrapper := writeFile(t, t.TempDir(), "qmail-smtpd", "#!/bin/sh\nexec '"+s.smtpd+"' \"$@\"\n", 0o755)
	srv := s.start(t, "10", nil, wrapper)
	for range 3 {
		session(t, srv)
	}
	pids := checkPaired(t, srv, 0)
	if pids[0] == pids[1] || pids[1] == pids[2] || pids[0] == pids[2] {
		t.Fatalf("pids %v: the wrapper served two connections in one process", pids)
	}
	if strings.Contains(srv.Log(), "warning") {
		t.Errorf("warnings in the log:\n%s", srv.Log())
	}
}

// TestReuseBadSetting: a TCPSERVERREUSE that is not a number of
// connections is a usage error, before anything is bound.
func TestReuseBadSetting(t *testing.T) {
	for _, v := range []string{"bad", "-1", "2x"} {
		cmd := exec.Command(ours(t), "-RHl0", "127.0.0.1", "0", "true")
		cmd.Env = baseEnv("TCPSERVERREUSE=" + v)
		p := testbin.Start(t, cmd)
		if code := p.Exit(t, 10*time.Second); code != 100 {
			t.Errorf("TCPSERVERREUSE=%s: exit %d, want 100; stderr: %s", v, code, p.Stderr.String())
		}
		want := "tcpserver: fatal: bad TCPSERVERREUSE " + strconv.Quote(v)
		if got := p.Stderr.String(); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 {
			t.Errorf("TCPSERVERREUSE=%s: stderr %q, want one line starting %q", v, got, want)
		}
	}
}

// TestReuseUpgrade: once qmail-smtpd is replaced (a new file renamed into
// place, as an upgrade does), the next connection goes to the new
// program, and the process of the old one exits.
func TestReuseUpgrade(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", nil)
	session(t, srv)
	session(t, srv)
	old := srv.pids()[0]
	testbin.CopyProgram(t, "qmail-smtpd", s.smtpd, 0o755)
	session(t, srv)
	session(t, srv)
	pids := checkPaired(t, srv, 0)
	if pids[1] != old {
		t.Fatalf("pids %v: second connection not served by the first process", pids)
	}
	if pids[2] == old {
		t.Fatalf("pids %v: connection after the upgrade given to the old program's process", pids)
	}
	if pids[3] != pids[2] {
		t.Errorf("pids %v: the new program's process not reused", pids)
	}
	waitGone(t, old, "the old qmail-smtpd")
}

// TestReuseKilledInSession: a process killed while it serves a
// connection ends that connection as a killed program does ("status 9"),
// and the next connection goes to a new process.
func TestReuseKilledInSession(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", nil)
	session(t, srv)
	c := dialSMTP(t, srv.Port)
	pid := srv.waitPids(2)[1]
	if pid != srv.pids()[0] {
		t.Fatalf("pids %v: second connection not given to the idle process", srv.pids())
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r := c.cmd("HELO a.test"); r != "EOF" {
		t.Fatalf("after the kill the client read %q", r)
	}
	ends := srv.waitEnds(2)
	if ends[1] != [2]int{pid, 9} {
		t.Fatalf("end line %v, want end %d status 9:\n%s", ends[1], pid, srv.Log())
	}
	session(t, srv)
	pids := srv.pids()
	if pids[2] == pid {
		t.Fatalf("pids %v: connection given to the killed process", pids)
	}
	if e := srv.ends()[2]; e != [2]int{pids[2], 0} {
		t.Fatalf("end line %v, want end %d status 0", e, pids[2])
	}
	if len(srv.ends()) != 3 {
		t.Fatalf("end lines %v, want 3", srv.ends())
	}
}

// TestReuseKilledWhileIdle: a process that dies between connections ends
// no connection (no "end" line), and the next connection is served by a
// new one, whether tcpserver has reaped the dead one yet or not.
func TestReuseKilledWhileIdle(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", nil)
	session(t, srv)
	pid := srv.pids()[0]
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Reaped by tcpserver. Not merely a zombie: the first thread of a
	// process may be one while the others still hold its descriptors.
	if !testbin.Eventually(5*time.Second, func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return err != nil
	}) {
		t.Fatalf("killed qmail-smtpd %d not reaped in 5 s", pid)
	}
	session(t, srv)
	session(t, srv)
	pids := checkPaired(t, srv, 0)
	if pids[1] == pid || pids[2] != pids[1] {
		t.Fatalf("pids %v after killing %d", pids, pid)
	}
}

// TestReuseKilledJustBeforeConnection: a process killed while idle, the
// next connection arriving at once. kill(2) returns before the process
// has closed its descriptors, so the connection may still be handed to
// it and be lost with it (logged as its end, status 9), as one handed to
// any process that dies at once; either way the next connection is
// served by a new process.
func TestReuseKilledJustBeforeConnection(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", nil)
	session(t, srv)
	pid := srv.pids()[0]
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	conn, err := dialFrom("", "127.0.0.1", srv.Port)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	c := &smtpConn{t: t, c: conn, r: bufio.NewReader(conn)}
	g := c.reply()
	switch {
	case strings.HasPrefix(g, "220 "):
		c.quit()
		if e := srv.waitEnds(2)[1]; e[0] == pid {
			t.Fatalf("connection served, end line %v names the killed process", e)
		}
	case g == "EOF":
		t.Logf("connection handed to the dying process")
		if e := srv.waitEnds(2)[1]; e != [2]int{pid, 9} {
			t.Fatalf("lost connection: end line %v, want end %d status 9", e, pid)
		}
	default:
		t.Fatalf("greeting %q", g)
	}
	session(t, srv)
	if p := srv.pids()[2]; p == pid {
		t.Fatalf("pids %v: the killed process given a connection after its end", srv.pids())
	}
	checkAlternateAny(t, srv)
}

// TestReuseSIGTERM: tcpserver stopped by SIGTERM takes its idle processes
// with it.
func TestReuseSIGTERM(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", nil)
	session(t, srv)
	pid := srv.pids()[0]
	if gone(pid) {
		t.Fatalf("idle qmail-smtpd %d already gone", pid)
	}
	terminate(t, srv)
	if code := testbin.ExitCode(t, srv.Err); code != 0 {
		t.Errorf("tcpserver exit %d after SIGTERM, want 0", code)
	}
	waitGone(t, pid, "idle qmail-smtpd after tcpserver's SIGTERM")
}

// terminate sends tcpserver SIGTERM and waits for it to exit.
func terminate(t *testing.T, srv *running) {
	t.Helper()
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.Done:
	case <-time.After(5 * time.Second):
		t.Fatal("tcpserver still running 5 s after SIGTERM")
	}
}

// TestReuseSIGTERMBusy: as in the original, SIGTERM leaves a connection
// being served alone: it goes on to its end, and the process exits then.
func TestReuseSIGTERMBusy(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "10", nil)
	session(t, srv)
	c := dialSMTP(t, srv.Port)
	pid := srv.waitPids(2)[1]
	terminate(t, srv)
	if r := c.cmd("HELO a.test"); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("HELO after tcpserver's SIGTERM: %q", r)
	}
	c.quit()
	waitGone(t, pid, "qmail-smtpd after its last connection, tcpserver gone")
}

// TestReuseLogOrder: for every process, its lines alternate "pid" and
// "end", even when clients come back at once: a log reader pairs each
// end with the connection before it. Several quick clients make the
// window between a process's return to the idle ones and its "end" line
// likely to be hit.
func TestReuseLogOrder(t *testing.T) {
	s := newReuseSetup(t)
	srv := s.start(t, "100000", nil)
	const clients, each = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				c, err := dialFrom("", "127.0.0.1", srv.Port)
				if err != nil {
					errs <- err
					return
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				io.WriteString(c, "QUIT\r\n")
				b, _ := io.ReadAll(c)
				c.Close()
				if !strings.Contains(string(b), "221 ") {
					errs <- fmt.Errorf("session got %q", b)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	srv.waitEnds(clients * each)
	checkAlternate(t, srv)
}
