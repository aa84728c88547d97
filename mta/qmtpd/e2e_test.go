package qmtpd

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/cdb"
	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/netstring"
)

func newmrh(t *testing.T, home string) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "qmail-newmrh"))
	cmd.Env = []string{"QMAILHOME=" + home}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qmail-newmrh: %v: %s", err, out)
	}
}

func TestNewmrh(t *testing.T) {
	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/morercpthosts": "Example.ORG \t\n# a comment\n\n   \n.Sub.Example.NET\nlast.example"})
	newmrh(t, home)
	db, err := cdb.Open(filepath.Join(home, "control", "morercpthosts.cdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var keys []string
	iter := db.Iter()
	for iter.Next() {
		if len(iter.Value()) != 0 {
			t.Errorf("key %q has value %q", iter.Key(), iter.Value())
		}
		keys = append(keys, string(iter.Key()))
	}
	if got := strings.Join(keys, ","); got != "example.org,.sub.example.net,last.example" {
		t.Errorf("keys %q", got)
	}
	if _, err := os.Stat(filepath.Join(home, "control", "morercpthosts.tmp")); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left: %v", err)
	}
	st, _ := os.Stat(filepath.Join(home, "control", "morercpthosts.cdb"))
	if st.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("mode %v: qmail-smtpd's user must read it", st.Mode())
	}
}

// The table is byte for byte what djb's cdbmake makes from the same
// records, as qmail's cdbmss writes it.
func TestNewmrhMatchesCdbmake(t *testing.T) {
	cdbmake := testbin.Peer(t, "cdbmake")
	home := t.TempDir()
	var src, records strings.Builder
	for i := 0; i < 300; i++ {
		d := "host" + strconv.Itoa(i) + ".Example.com"
		src.WriteString(d + "\n")
		k := strings.ToLower(d)
		records.WriteString("+" + strconv.Itoa(len(k)) + ",0:" + k + "->\n")
	}
	records.WriteString("\n")
	testbin.WriteFiles(t, home, map[string]string{"control/morercpthosts": src.String()})
	newmrh(t, home)
	theirs := filepath.Join(t.TempDir(), "theirs.cdb")
	cmd := exec.Command(cdbmake, theirs, theirs+".tmp")
	cmd.Stdin = strings.NewReader(records.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cdbmake: %v: %s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(home, "control", "morercpthosts.cdb"))
	b, _ := os.ReadFile(theirs)
	if !bytes.Equal(a, b) {
		t.Errorf("our morercpthosts.cdb (%d bytes) differs from cdbmake's (%d bytes)", len(a), len(b))
	}
}

func TestNewmrhMissingSource(t *testing.T) {
	cmd := exec.Command(testbin.Path(t, "qmail-newmrh"))
	cmd.Env = []string{"QMAILHOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 111 {
		t.Errorf("exit %v, want 111", err)
	}
	if !strings.HasPrefix(string(out), "qmail-newmrh: fatal: unable to read control/morercpthosts: ") {
		t.Errorf("diagnostic %q", out)
	}
}

// TestQMTPOverTCP runs qmail-qmtpd under tcpserver with rcpthosts, a
// morercpthosts.cdb made by qmail-newmrh and databytes, and sends several
// messages on one connection.
func TestQMTPOverTCP(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "qmail")
	testbin.WriteFiles(t, dir, map[string]string{
		"qmail/control/rcpthosts":     "example.com\n",
		"qmail/control/morercpthosts": "Example.ORG\n",
		"qmail/control/databytes":     "100\n",
	})
	qq := testbin.StandInQueue(t, dir)
	newmrh(t, home)

	srv := testbin.StartServer(t, testbin.Path(t, "tcpserver"), []string{"PATH=/bin:/usr/bin", "QMAILQUEUE=" + qq.Path, "QMAILHOME=" + home},
		"-RH", "-l", "hub.example", "127.0.0.1", "0", testbin.Path(t, "qmail-qmtpd"))
	conn, err := net.DialTimeout("tcp", srv.Addr("127.0.0.1"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	read := func(n int) []string {
		t.Helper()
		var rs []string
		for i := 0; i < n; i++ {
			r, err := netstring.Read(br, 1000)
			if err != nil {
				t.Fatalf("reading response %d: %v; log: %s", i, err, srv.Stderr.String())
			}
			rs = append(rs, string(r))
		}
		return rs
	}
	io.WriteString(conn, pkg("Subject: one\n\nfirst\n", "a@client.example", "b@example.com", "c@example.org", "victim@elsewhere.example"))
	got := read(3)
	if !strings.HasPrefix(got[0], "Kok ") || !strings.HasPrefix(got[1], "Kok ") || got[2] != "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)" {
		t.Errorf("first package: %q", got)
	}
	io.WriteString(conn, pkg(strings.Repeat("x", 101), "a@client.example", "b@example.com")+pkg("Subject: three\n\nthird\n", "", "d@example.com"))
	got = read(2)
	if got[0] != "Dsorry, that message size exceeds my databytes limit (#5.3.4)" || !strings.HasPrefix(got[1], "Kok ") {
		t.Errorf("second and third packages: %q", got)
	}
	conn.(*net.TCPConn).CloseWrite()
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("more after the last response: %q", rest)
	}

	queued := qq.Queued(t)
	if len(queued) != 2 {
		t.Fatalf("queued %d messages, want 2: %q", len(queued), queued)
	}
	for i, want := range []string{
		"\nSubject: one\n\nfirst\n|Fa@client.example\x00Tb@example.com\x00Tc@example.org\x00\x00",
		"\nSubject: three\n\nthird\n|F\x00Td@example.com\x00\x00",
	} {
		if !strings.HasPrefix(queued[i], "Received: from unknown (127.0.0.1)\n  by hub.example with QMTP; ") || !strings.HasSuffix(queued[i], want) {
			t.Errorf("queued message %d:\n%q\nwant it to end in\n%q", i, queued[i], want)
		}
	}
}

// Clients that send the start of a package and stop hold their
// connections no longer than control/timeoutsmtpd, a limit on each read,
// rather than the hour qmail-qmtpd allows a whole connection: with
// tcpserver's -c 2 taken by two of them, a third client is served as soon
// as they are cut off.
func TestStalledClientsTimeOut(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "qmail")
	testbin.WriteFiles(t, dir, map[string]string{
		"qmail/control/rcpthosts":    "example.com\n",
		"qmail/control/timeoutsmtpd": "1\n",
	})
	qq := testbin.StandInQueue(t, dir)
	srv := testbin.StartServer(t, testbin.Path(t, "tcpserver"), []string{"PATH=/bin:/usr/bin", "QMAILQUEUE=" + qq.Path, "QMAILHOME=" + home},
		"-v", "-RH", "-c", "2", "-l", "hub.example", "127.0.0.1", "0", testbin.Path(t, "qmail-qmtpd"))
	dial := func() net.Conn {
		t.Helper()
		c, err := net.DialTimeout("tcp", srv.Addr("127.0.0.1"), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(20 * time.Second))
		return c
	}
	var stalled []net.Conn
	for i := 0; i < 2; i++ {
		c := dial()
		io.WriteString(c, "10:") // a message netstring's length, and nothing more
		stalled = append(stalled, c)
	}
	if !testbin.Eventually(10*time.Second, func() bool { return strings.Contains(srv.Stderr.String(), "status: 2/2") }) {
		t.Fatalf("tcpserver did not take both connections; log: %s", srv.Stderr.String())
	}
	c := dial()
	io.WriteString(c, pkg("Subject: patient\n\nhello\n", "a@client.example", "b@example.com"))
	r, err := netstring.Read(bufio.NewReader(c), 1000)
	if err != nil || !strings.HasPrefix(string(r), "Kok ") {
		t.Fatalf("the third client got %q, %v; log: %s", r, err, srv.Stderr.String())
	}
	for i, s := range stalled {
		if rest, err := io.ReadAll(s); err != nil || len(rest) != 0 {
			t.Errorf("stalled client %d: %q, %v (want the connection closed)", i, rest, err)
		}
	}
	if n := strings.Count(srv.Stderr.String(), "qmail-qmtpd: fatal: unable to read from client: timed out\n"); n != 2 {
		t.Errorf("%d timeouts logged, want 2; log: %s", n, srv.Stderr.String())
	}
	if q := qq.Queued(t); len(q) != 1 {
		t.Errorf("queued %d messages, want 1", len(q))
	}
}
