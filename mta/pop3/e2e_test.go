package pop3

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// popServer is tcpserver running qmail-popup, checkvpw and qmail-pop3d
// for the virtual user demo (password demo) of a single-user qmail home.
type popServer struct {
	*testbin.Server
	port    string
	maildir string
}

func (s *popServer) log() string { return s.Stderr.String() }

// waitLog waits for the server's log to hold want, and fails the test
// when it does not: the log comes through a pipe, a little after the
// client has had its answer.
func (s *popServer) waitLog(t *testing.T, want string) {
	t.Helper()
	if !testbin.Eventually(10*time.Second, func() bool { return strings.Contains(s.log(), want) }) {
		t.Errorf("log lacks %q:\n%s", want, s.log())
	}
}

func startPOPServer(t *testing.T) *popServer {
	return startServer(t, "tcpserver", nil, nil)
}

// startServer runs server (tcpserver or sslserver) with opts before its
// address, and extra in the environment.
func startServer(t *testing.T, server string, opts, extra []string) *popServer {
	t.Helper()
	dir := t.TempDir()
	qhome := filepath.Join(dir, "qmail")
	home := filepath.Join(dir, "home", "demo")
	for _, d := range []string{filepath.Join(qhome, "users"), filepath.Join(qhome, "control"), home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(qhome, "control", "singleuser"), nil, 0o644)
	os.WriteFile(filepath.Join(qhome, "users", "vpasswd"), []byte("demo:{PLAIN}demo:::"+home+"\n"), 0o600)
	env := []string{"PATH=" + testbin.Dir(t, "checkvpw", "qmail-pop3d") + ":/bin:/usr/bin", "QMAILHOME=" + qhome}
	newvpw := exec.Command(testbin.Path(t, "qmail-newvpw"))
	newvpw.Env = env
	if out, err := newvpw.CombinedOutput(); err != nil {
		t.Fatalf("qmail-newvpw: %v: %s", err, out)
	}
	maildir := filepath.Join(home, "Maildir")
	for _, sub := range []string{"", "tmp", "new", "cur"} {
		os.Mkdir(filepath.Join(maildir, sub), 0o700)
	}
	args := append(append([]string{"-RH", "-l", "pop.test"}, opts...), "127.0.0.1", "0",
		testbin.Path(t, "qmail-popup"), "pop.test", "checkvpw", "qmail-pop3d", "Maildir")
	srv := testbin.StartServer(t, testbin.Path(t, server), append(env, extra...), args...)
	s := &popServer{Server: srv, port: strconv.Itoa(srv.Port), maildir: maildir}
	return s
}

// testMessage is message i as delivered (LF line ends).
func testMessage(i int) string {
	return fmt.Sprintf("From: sender%d@example.com\nSubject: message %d\n\n.starts with a dot\nbody of %d\n", i, i, i)
}

// deliver puts n messages into new/, a millisecond apart and an hour
// old, so that the listing order is theirs and none is held back as
// "arrived this second".
func (s *popServer) deliver(t *testing.T, n int) {
	t.Helper()
	base := time.Now().Add(-time.Hour)
	for i := 1; i <= n; i++ {
		p := filepath.Join(s.maildir, "new", fmt.Sprintf("%d.M%dP1.pop.test", 1000000+i, i))
		if err := os.WriteFile(p, []byte(testMessage(i)), 0o600); err != nil {
			t.Fatal(err)
		}
		mt := base.Add(time.Duration(i) * time.Millisecond)
		os.Chtimes(p, mt, mt)
	}
}

const poplibScript = `
import poplib, sys
port, n = int(sys.argv[1]), int(sys.argv[2])

def expected(i):
    return ("From: sender%d@example.com\nSubject: message %d\n\n.starts with a dot\nbody of %d\n" % (i, i, i)).encode()

def session():
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    return p

# A wrong password is refused, and the connection ends.
p = session()
p.user("demo")
try:
    p.pass_("wrong")
    print("wrong password accepted"); sys.exit(1)
except poplib.error_proto as e:
    assert str(e).startswith("b'-ERR authorization failed"), e

# Session 1: CAPA, STAT, UIDL, retrieve every message, QUIT (no deletion).
p = session()
caps = p.capa()
assert "UIDL" in caps and "TOP" in caps and "USER" in caps and "STLS" not in caps, caps
p.user("demo"); p.pass_("demo")
count, size = p.stat()
assert count == n, (count, n)
uidl1 = p.uidl()[1]
for i in range(1, n + 1):
    lines = p.retr(i)[1]
    got = b"\n".join(lines) + b"\n"
    assert got == expected(i), (i, got)
top = p.top(1, 0)[1]
assert top == [b"From: sender1@example.com", b"Subject: message 1", b""], top
p.quit()

# Session 2 (APOP): the UIDs are the same after the move to cur/; delete all.
p = session()
p.apop("demo", "demo")
uidl2 = p.uidl()[1]
assert uidl1 == uidl2, "UIDL changed between sessions"
for i in range(1, n + 1):
    p.dele(i)
p.quit()

# Session 3: nothing left.
p = session()
p.user("demo"); p.pass_("demo")
assert p.stat() == (0, 0), p.stat()
p.quit()
print("ok")
`

func TestPoplibEndToEnd(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	s := startPOPServer(t)
	const n = 1000
	s.deliver(t, n)
	script := filepath.Join(t.TempDir(), "pop.py")
	os.WriteFile(script, []byte(poplibScript), 0o644)
	out, err := exec.Command(python, script, s.port, fmt.Sprint(n)).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("poplib: %v\n%s\nserver log:\n%s", err, out, s.log())
	}
	left, _ := filepath.Glob(filepath.Join(s.maildir, "*", "*"))
	if len(left) != 0 {
		t.Errorf("%d files left in the Maildir, e.g. %s", len(left), left[0])
	}
	for _, want := range []string{
		"qmail-popup: login failed user=demo ip=127.0.0.1 method=USER\n",
		"qmail-popup: login ok user=demo ip=127.0.0.1 method=USER\n",
		"qmail-popup: login ok user=demo ip=127.0.0.1 method=APOP\n",
	} {
		s.waitLog(t, want)
	}
}

func TestFetchmail(t *testing.T) {
	fetchmailFrom(t, startPOPServer(t), `sslproto ""`)
}

// TestFetchmailSTLS has fetchmail upgrade with STLS under sslserver -n,
// where qmail-popup requires it.
func TestFetchmailSTLS(t *testing.T) {
	fetchmailFrom(t, startServer(t, "sslserver", []string{"-n"}, append(certEnv(t), "UCSPITLS=!")), `sslproto "TLS1.2+" no sslcertck`)
}

func fetchmailFrom(t *testing.T, s *popServer, tlsOpts string) {
	fetchmail, err := exec.LookPath("fetchmail")
	if err != nil {
		t.Skip("fetchmail not installed")
	}
	const n = 5
	s.deliver(t, n)
	dir := t.TempDir()
	mbox := filepath.Join(dir, "mbox")
	mda := filepath.Join(dir, "mda")
	os.WriteFile(mda, []byte("#!/bin/sh\n{ cat; echo '--end--'; } >> "+mbox+"\n"), 0o755)
	rc := filepath.Join(dir, "fetchmailrc")
	os.WriteFile(rc, []byte(fmt.Sprintf("set no bouncemail\npoll 127.0.0.1 protocol pop3 port %s user \"demo\" password \"demo\" mda \"%s\" %s options fetchall no keep\n", s.port, mda, tlsOpts)), 0o600)
	cmd := exec.Command(fetchmail, "-f", rc, "--nodetach", "-v")
	cmd.Env = []string{"HOME=" + dir, "PATH=/bin:/usr/bin", "FETCHMAILHOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fetchmail: %v\n%s\nserver log:\n%s", err, out, s.log())
	}
	got, _ := os.ReadFile(mbox)
	msgs := strings.Split(strings.TrimSuffix(string(got), "--end--\n"), "--end--\n")
	if len(msgs) != n {
		t.Fatalf("fetchmail delivered %d messages:\n%s\n%s", len(msgs), got, out)
	}
	for i, m := range msgs {
		// fetchmail adds its own Received line; the rest must be intact.
		if !strings.HasSuffix(m, testMessage(i+1)) {
			t.Errorf("message %d: %q", i+1, m)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(s.maildir, "*", "*")); len(left) != 0 {
		t.Errorf("fetchmail's deletions left %v", left)
	}
}

const twoSessionsScript = `
import poplib, sys
port = int(sys.argv[1])

def session():
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user("demo"); p.pass_("demo")
    return p

def uidls(p):
    return [l.split(b" ", 1)[1].decode() for l in p.uidl()[1]]

want = ["1000001.M1P1.pop.test", "1000002.M2P1.pop.test", "1000003.M3P1.pop.test"]
a = session()
b = session()
# Only the three regular files with printable names are listed: the FIFO,
# the directory and the names with CR LF or a space are not.
assert uidls(a) == want, uidls(a)
assert uidls(b) == want, uidls(b)
assert a.stat()[0] == 3 and b.stat()[0] == 3, (a.stat(), b.stat())
b.dele(1)
a.quit()  # moves all three from new/ to cur/
lines = b.retr(2)[1]
assert lines[1] == b"Subject: message 2", lines
b.dele(2)
b.quit()
c = session()
assert uidls(c) == want[2:], uidls(c)
c.quit()
print("ok")
`

// Two poplib sessions on one maildrop: the deletions of the session that
// leaves last are carried out on the messages the first one's QUIT moved
// to cur/; and a FIFO, a directory and names holding CR LF or a space in
// new/ are never listed (nor opened, which would hang on the FIFO).
func TestPoplibTwoSessions(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	s := startPOPServer(t)
	s.deliver(t, 3)
	old := time.Now().Add(-time.Hour)
	for _, n := range []string{"1000004.forged\r\n4 1000005.forged", "1000006 forged"} {
		p := filepath.Join(s.maildir, "new", n)
		os.WriteFile(p, []byte("forged\n"), 0o600)
		os.Chtimes(p, old, old)
	}
	fifo := filepath.Join(s.maildir, "new", "1000007.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(s.maildir, "new", "1000008.dir"), 0o700)
	for _, p := range []string{fifo, filepath.Join(s.maildir, "new", "1000008.dir")} {
		os.Chtimes(p, old, old)
	}
	script := filepath.Join(t.TempDir(), "two.py")
	os.WriteFile(script, []byte(twoSessionsScript), 0o644)
	cmd := exec.Command(python, script, s.port)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("poplib: %v\n%s\nserver log:\n%s", err, out, s.log())
	}
	left, _ := filepath.Glob(filepath.Join(s.maildir, "cur", "*"))
	if len(left) != 1 || filepath.Base(left[0]) != "1000003.M3P1.pop.test:2," {
		t.Errorf("cur/ holds %q, want only message 3", left)
	}
	s.waitLog(t, "qmail-pop3d: warning: left out 2 file(s) of ")
}
