package tcpserver

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// running is a tcpserver process started by a test.
type running struct {
	*testbin.Server
	t *testing.T
}

// startServer runs bin with args (without -1, which it adds) and the given
// environment, and waits for the port it prints. The server is stopped
// when the test ends.
func startServer(t *testing.T, bin string, env []string, args ...string) *running {
	t.Helper()
	return &running{Server: testbin.StartServer(t, bin, env, args...), t: t}
}

// Log is the server's stderr so far.
func (r *running) Log() string { return r.Stderr.String() }

// waitLog waits until the log holds n lines matching re.
func (r *running) waitLog(re string, n int) []string {
	r.t.Helper()
	rx := regexp.MustCompile(re)
	var got []string
	if !testbin.Eventually(20*time.Second, func() bool {
		got = nil
		for _, l := range strings.Split(r.Log(), "\n") {
			if rx.MatchString(l) {
				got = append(got, l)
			}
		}
		return len(got) >= n
	}) {
		r.t.Fatalf("waited for %d log lines matching %q; log:\n%s", n, re, r.Log())
	}
	return got
}

// talk connects from source (nil: any) to the server, sends in, and
// returns everything the server sent until it closed.
func talk(t *testing.T, source, addr string, port int, in string) string {
	t.Helper()
	c, err := dialFrom(source, addr, port)
	if err != nil {
		t.Fatalf("connect to %s port %d: %v", addr, port, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if in != "" {
		io.WriteString(c, in)
	}
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("read from %s port %d: %v", addr, port, err)
	}
	return string(b)
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe"))
}

func dialFrom(source, addr string, port int) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	return d.Dial("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
}

// portVars are the variables whose values differ between two runs.
var portVars = map[string]bool{
	"TCPLOCALPORT": true, "TCPREMOTEPORT": true, "TCP6LOCALPORT": true, "TCP6REMOTEPORT": true,
}

// normalEnv sorts env(1) output and blanks the port numbers.
func normalEnv(out string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if name, _, ok := strings.Cut(l, "="); ok && portVars[name] {
			l = name + "=PORT"
		}
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func peerOrSkip(t *testing.T) string { return testbin.Peer(t, "tcpserver") }
func ours(t *testing.T) string       { return testbin.Path(t, "tcpserver") }
