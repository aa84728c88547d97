package inetd

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// inetd accepts one connection on l and runs argv for it with the socket
// as descriptors 0 and 1, as inetd's nowait services are run; it returns
// the child's stderr and exit code when the child is done.
func inetd(t *testing.T, l net.Listener, env []string, argv ...string) <-chan [2]string {
	t.Helper()
	done := make(chan [2]string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- [2]string{err.Error(), "-1"}
			return
		}
		f, err := c.(*net.TCPConn).File()
		c.Close()
		if err != nil {
			done <- [2]string{err.Error(), "-1"}
			return
		}
		defer f.Close()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = env
		cmd.Stdin, cmd.Stdout = f, f
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		f.Close()
		done <- [2]string{stderr.String(), fmt.Sprint(code)}
	}()
	return done
}

// talk connects from from (a local address, "" for any) to addr and reads
// what the server's program writes until it closes.
func talk(t *testing.T, from, addr string) string {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	b, _ := io.ReadAll(c)
	return string(b)
}

var portValue = regexp.MustCompile(`^((TCP|TCP6)(LOCAL|REMOTE)PORT)=\d+$`)

// ucspiEnv is the PROTO and TCP lines of an env(1) output, sorted, with
// the port numbers taken out (the two servers listen on different ports,
// and the client's port differs each time).
func ucspiEnv(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "PROTO=") || strings.HasPrefix(l, "TCP") {
			keep = append(keep, portValue.ReplaceAllString(l, "$1=PORT"))
		}
	}
	sort.Strings(keep)
	return strings.Join(keep, "\n")
}

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

const zone = `
1.0.0.127.in-addr.arpa.  PTR  One.Test.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. PTR six.test.
`

// tcp-env(1): "Usually tcp-env is run from inetd". A program moved from
// tcpserver to inetd and tcp-env must see what tcpserver gave it: Debian's
// tcpserver (ucspi-tcp-ipv6) and our tcp-env under a stand-in inetd get
// the same connections and their env(1) children print the same PROTO
// and TCP variables. Names come from a DNS server on port 53 of a spare
// loopback address, IDENT answers from port 113 of another.
func TestMatchesDebianTcpserver(t *testing.T) {
	tcpserver := testbin.Peer(t, "tcpserver")
	envProg, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env(1)")
	}
	dnsIP := testbin.SpareLoopback(t, 53)
	if _, err := dnstest.StartAt(t, dnsIP+":53", zone); err != nil {
		t.Skipf("no DNS server on %s:53: %v", dnsIP, err)
	}
	identIP := testbin.SpareLoopback(t, 113)
	il := listen(t, identIP+":113")
	go func() {
		for {
			c, err := il.Accept()
			if err != nil {
				return
			}
			var rport, lport int
			fmt.Fscanf(c, "%d , %d\r\n", &rport, &lport)
			fmt.Fprintf(c, "%d , %d : USERID : UNIX : joe\r\n", rport, lport)
			c.Close()
		}
	}()
	tcpEnv := testbin.Path(t, "tcp-env")
	env := []string{"PATH=/usr/bin:/bin", "DNSCACHEIP=" + dnsIP, "TCPREMOTEINFO=stale", "PROTO=UDP"}
	for _, tt := range []struct {
		why            string
		server, client string // listening address, client's own
		ident          bool
		want           string // a line Debian's child must have seen
	}{
		{"IPv4, names from PTR records", "127.0.0.1", "", false, "TCPREMOTEHOST=one.test"},
		{"IPv4 from an address without a name", "127.0.0.1", "127.0.0.2", false, "TCPREMOTEIP=127.0.0.2"},
		{"IPv6", "::1", "", false, "TCP6REMOTEHOST=six.test"},
		{"IDENT", "127.0.0.1", identIP, true, "TCPREMOTEINFO=joe"},
	} {
		flag := "-R"
		if tt.ident {
			flag = "-r"
		}
		srv := testbin.StartServer(t, tcpserver, env, flag, "-t", "10", tt.server, "0", envProg)
		theirs := talk(t, tt.client, net.JoinHostPort(tt.server, fmt.Sprint(srv.Port)))
		if !strings.Contains("\n"+theirs, "\n"+tt.want+"\n") {
			t.Fatalf("%s: Debian's child did not see %q:\n%s", tt.why, tt.want, theirs)
		}
		l := listen(t, net.JoinHostPort(tt.server, "0"))
		done := inetd(t, l, env, tcpEnv, flag, "-t10", envProg)
		ours := talk(t, tt.client, l.Addr().String())
		if r := <-done; r[1] != "0" || r[0] != "" {
			t.Errorf("%s: tcp-env exit %s, stderr %q", tt.why, r[1], r[0])
		}
		if a, b := ucspiEnv(theirs), ucspiEnv(ours); a != b {
			t.Errorf("%s: Debian's tcpserver gave\n%s\ntcp-env gave\n%s", tt.why, a, b)
		}
	}
}

// The rest needs neither root nor Debian's tools: tcp-env's own rules.
func TestTCPEnv(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("2.0.0.127.in-addr.arpa", dnstest.ServFail)
	tcpEnv := testbin.Path(t, "tcp-env")
	envProg, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env(1)")
	}
	env := []string{"PATH=/usr/bin:/bin", "DNSCACHEIP=" + srv.Addr}

	// A name that cannot be looked up for the time being is
	// "softdnserror" (tcp-env.c), where tcpserver leaves it unset.
	l := listen(t, "127.0.0.1:0")
	done := inetd(t, l, env, tcpEnv, "-R", envProg)
	out := ucspiEnv(talk(t, "127.0.0.2", l.Addr().String()))
	<-done
	for _, want := range []string{"TCPLOCALHOST=one.test", "TCPREMOTEHOST=softdnserror", "TCPREMOTEIP=127.0.0.2", "TCPLOCALIP=127.0.0.1", "PROTO=TCP"} {
		if !strings.Contains("\n"+out+"\n", "\n"+want+"\n") {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "TCPREMOTEINFO") {
		t.Errorf("-R, yet TCPREMOTEINFO is set:\n%s", out)
	}

	run := func(env []string, stdin io.Reader, args ...string) (string, string, int) {
		cmd := exec.Command(tcpEnv, args...)
		cmd.Env = env
		cmd.Stdin = stdin
		return testbin.Run(t, cmd)
	}
	// With PROTO=TCP (or TCP6) the variables are trusted and descriptor
	// 0 need not be a socket.
	for _, proto := range []string{"TCP", "TCP6"} {
		given := []string{"PATH=/usr/bin:/bin", "PROTO=" + proto, "TCPREMOTEIP=192.0.2.1", "TCPREMOTEHOST=given.test"}
		stdout, stderr, code := run(given, strings.NewReader(""), envProg)
		if code != 0 || stderr != "" || stdout != strings.Join(given, "\n")+"\n" {
			t.Errorf("PROTO=%s: exit %d, stderr %q, environment\n%s", proto, code, stderr, stdout)
		}
	}
	for _, tt := range []struct {
		why    string
		args   []string
		stdin  io.Reader
		code   int
		stderr string
	}{
		{"no program", nil, strings.NewReader(""), 111, "tcp-env: usage: tcp-env [ -rR ] [ -ttimeout ] program [ arg ... ]\n"},
		{"an unknown option", []string{"-x", "true"}, strings.NewReader(""), 111, "tcp-env: usage: tcp-env [ -rR ] [ -ttimeout ] program [ arg ... ]\n"},
		{"descriptor 0 is not a socket", []string{"true"}, strings.NewReader(""), 111, "tcp-env: fatal: unable to get local address: not a socket\n"},
		{"a program that is not there", []string{"/nonexistent/prog"}, nil, 111, "tcp-env: fatal: unable to run /nonexistent/prog: file does not exist\n"},
	} {
		e := env
		if tt.stdin == nil {
			e = append([]string{"PROTO=TCP"}, env...)
		}
		if _, stderr, code := run(e, tt.stdin, tt.args...); code != tt.code || stderr != tt.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tt.why, code, stderr, tt.code, tt.stderr)
		}
	}
}
