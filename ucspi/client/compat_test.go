package client

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// peerServer accepts connections on addr, writes greeting, and records the
// first line each client sends.
type peerServer struct {
	l     net.Listener
	Port  int
	lines chan string
}

func startPeer(t *testing.T, addr, greeting string) *peerServer {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &peerServer{l: l, Port: l.Addr().(*net.TCPAddr).Port, lines: make(chan string, 100)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				io.WriteString(c, greeting)
				line, _ := bufio.NewReader(c).ReadString('\n')
				p.lines <- line
				io.WriteString(c, "bye\n")
			}()
		}
	}()
	return p
}

// run runs bin with args and exactly env, bounded in time.
func run(t *testing.T, bin string, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s %v did not finish", bin, args)
	}
	return out.String(), errb.String(), testbin.ExitCode(t, err)
}

// normal sorts the child's env(1) lines and blanks the local port and the
// port numbers in tcpclient's messages.
func normal(s string, ports ...int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "TCPLOCALPORT=") {
			lines[i] = "TCPLOCALPORT=PORT"
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

const showEnv = `env | grep -E '^(PROTO|TCP)'; echo; echo hello >&7; head -1 <&6`

// TestCompatEnvironment runs Debian's tcpclient and ours against the same
// server with the same options and compares what the program sees: the
// environment, and the connection on descriptors 6 and 7.
func TestCompatEnvironment(t *testing.T) {
	theirs := testbin.Peer(t, "tcpclient")
	ours := testbin.Path(t, "tcpclient")
	p4 := startPeer(t, "127.0.0.1:0", "greeting\n")
	p6 := startPeer(t, "[::1]:0", "greeting\n")
	port4, port6 := strconv.Itoa(p4.Port), strconv.Itoa(p6.Port)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"IPv4", []string{"-RH", "-l", "local", "127.0.0.1", port4}, "TCPREMOTEIP=127.0.0.1"},
		{"IPv6", []string{"-RH", "-l", "local", "::1", port6}, "TCPREMOTEIP=::1"},
		{"host 0 is ::1", []string{"-RHl0", "0", port6}, "PROTO=TCP6"},
		{"-6 maps IPv4", []string{"-6RHl0", "127.0.0.1", port4}, "TCPREMOTEIP=::ffff:127.0.0.1"},
		{"-i chooses the local address", []string{"-RHl0", "-i", "127.0.0.5", "127.0.0.1", port4}, "TCPLOCALIP=127.0.0.5"},
		{"-4 with host 0", []string{"-4RHl0", "0", port4}, "PROTO=TCP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{"PATH=/usr/bin:/bin", "TCPREMOTEHOST=stale", "TCPREMOTEINFO=stale"}
			args := append(append([]string{}, tc.args...), "sh", "-c", showEnv)
			wantOut, wantErr, wantCode := run(t, theirs, env, "", args...)
			gotOut, gotErr, gotCode := run(t, ours, env, "", args...)
			if !strings.Contains(wantOut, tc.want+"\n") {
				t.Fatalf("Debian's child did not see %s:\n%s%s", tc.want, wantOut, wantErr)
			}
			if normal(wantOut) != normal(gotOut) || wantCode != gotCode || wantErr != gotErr {
				t.Errorf("Debian's: exit %d, stderr %q, child:\n%s\nours: exit %d, stderr %q, child:\n%s",
					wantCode, wantErr, normal(wantOut), gotCode, gotErr, normal(gotOut))
			}
		})
	}
	for i := 0; i < 2*len(p4.lines)+2*len(p6.lines); i++ {
		<-p4.lines
	}
}

// TestCompatErrors compares messages and exit codes when nothing listens,
// when the program cannot be run, with -v, and for usage errors.
func TestCompatErrors(t *testing.T) {
	theirs := testbin.Peer(t, "tcpclient")
	ours := testbin.Path(t, "tcpclient")
	p := startPeer(t, "127.0.0.1:0", "greeting\n")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	port := strconv.Itoa(p.Port)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"connection refused", []string{"-RHl0", "127.0.0.1", closed, "true"}},
		{"connection refused, quiet", []string{"-qRHl0", "127.0.0.1", closed, "true"}},
		{"verbose", []string{"-vRHl0", "127.0.0.1", port, "true"}},
		{"program missing", []string{"-RHl0", "127.0.0.1", port, "/nonexistent/prog"}},
		{"bad port name", []string{"-RHl0", "127.0.0.1", "no-such-service", "true"}},
		{"too few arguments", []string{"-RHl0", "127.0.0.1", port}},
		{"unknown option", []string{"-Z", "127.0.0.1", port, "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{"PATH=/usr/bin:/bin"}
			wantOut, wantErr, wantCode := run(t, theirs, env, "", tc.args...)
			gotOut, gotErr, gotCode := run(t, ours, env, "", tc.args...)
			if wantCode == 100 {
				// The usage lines list the options differently; compare
				// only their start.
				wantErr = strings.SplitAfter(wantErr, "usage: tcpclient ")[0]
				gotErr = strings.SplitAfter(gotErr, "usage: tcpclient ")[0]
			}
			if wantOut != gotOut || wantErr != gotErr || wantCode != gotCode {
				t.Errorf("Debian's: exit %d, %q %q; ours: exit %d, %q %q", wantCode, wantOut, wantErr, gotCode, gotOut, gotErr)
			}
		})
	}
}

// TestCompatLookups compares -h (remote name), the local-name lookup and
// -r (IDENT) with a test DNS server on port 53 and a fake IDENT server on
// port 113 of the server's address.
func TestCompatLookups(t *testing.T) {
	theirs := testbin.Peer(t, "tcpclient")
	ours := testbin.Path(t, "tcpclient")
	ip := testbin.SpareLoopback(t, 113)
	dnsIP := testbin.SpareLoopback(t, 53)
	octets := strings.Split(ip, ".")
	zone := fmt.Sprintf("%s.%s.%s.%s.in-addr.arpa. PTR server.test.\n1.0.0.127.in-addr.arpa. PTR client.test.\n",
		octets[3], octets[2], octets[1], octets[0])
	if _, err := dnstest.StartAt(t, dnsIP+":53", zone); err != nil {
		t.Skipf("cannot run a DNS server on %s:53: %v", dnsIP, err)
	}
	identd, err := net.Listen("tcp", ip+":113")
	if err != nil {
		t.Skipf("cannot listen on %s:113: %v", ip, err)
	}
	defer identd.Close()
	go func() {
		for {
			c, err := identd.Accept()
			if err != nil {
				return
			}
			var rport, lport int
			fmt.Fscanf(c, "%d , %d\r\n", &rport, &lport)
			fmt.Fprintf(c, "%d , %d : USERID : UNIX : server-user\r\n", rport, lport)
			c.Close()
		}
	}()
	p := startPeer(t, ip+":0", "greeting\n")
	env := []string{"PATH=/usr/bin:/bin", "DNSCACHEIP=" + dnsIP}
	args := []string{"-i", "127.0.0.1", ip, strconv.Itoa(p.Port), "sh", "-c", showEnv}
	wantOut, wantErr, wantCode := run(t, theirs, env, "", args...)
	gotOut, gotErr, gotCode := run(t, ours, env, "", args...)
	for _, w := range []string{"TCPREMOTEHOST=server.test", "TCPLOCALHOST=client.test", "TCPREMOTEINFO=server-user"} {
		if !strings.Contains(wantOut, w+"\n") {
			t.Fatalf("Debian's child did not see %s:\n%s%s", w, wantOut, wantErr)
		}
	}
	if normal(wantOut) != normal(gotOut) || wantCode != gotCode || wantErr != gotErr {
		t.Errorf("Debian's: exit %d, stderr %q, child:\n%s\nours: exit %d, stderr %q, child:\n%s",
			wantCode, wantErr, normal(wantOut), gotCode, gotErr, normal(gotOut))
	}
}

// TestCompatMconnect: Debian's mconnect and ours show the same session,
// and the server gets the typed line with CRLF.
func TestCompatMconnect(t *testing.T) {
	theirs := testbin.Peer(t, "mconnect")
	dir := testbin.Dir(t, "mconnect", "mconnect-io", "tcpclient")
	p := startPeer(t, "127.0.0.1:0", "220 test ESMTP\r\n")
	port := strconv.Itoa(p.Port)
	env := []string{"PATH=/usr/bin:/bin"}
	wantOut, wantErr, wantCode := run(t, theirs, env, "QUIT\n", "127.0.0.1", port)
	if l := <-p.lines; l != "QUIT\r\n" {
		t.Fatalf("Debian's mconnect sent %q", l)
	}
	gotOut, gotErr, gotCode := run(t, filepath.Join(dir, "mconnect"), env, "QUIT\n", "127.0.0.1", port)
	if l := <-p.lines; l != "QUIT\r\n" {
		t.Fatalf("our mconnect sent %q", l)
	}
	if wantOut != gotOut || wantErr != gotErr || wantCode != gotCode {
		t.Errorf("Debian's: exit %d %q %q; ours: exit %d %q %q", wantCode, wantOut, wantErr, gotCode, gotOut, gotErr)
	}
}
