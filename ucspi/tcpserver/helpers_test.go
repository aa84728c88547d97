package tcpserver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// running is a tcpserver process started by a test.
type running struct {
	t    *testing.T
	cmd  *exec.Cmd
	Port int
	mu   sync.Mutex
	log  bytes.Buffer // stderr so far
	done chan struct{}
	err  error
	// logDone is closed at the end of the server's stderr, when the
	// server and every program it started have closed it.
	logDone chan struct{}
}

// startServer runs bin with args (without -1, which it adds) and the given
// environment, and waits for the port it prints. The server is stopped
// when the test ends.
func startServer(t *testing.T, bin string, env []string, args ...string) *running {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-1"}, args...)...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &running{t: t, cmd: cmd, done: make(chan struct{}), logDone: make(chan struct{})}
	// A pipe of our own rather than StderrPipe: the children inherit the
	// server's stderr, so its end of file comes only when they are all
	// gone, and Wait must not depend on it.
	errRead, errWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = errWrite
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errWrite.Close()
	t.Cleanup(func() { errRead.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := errRead.Read(buf)
			r.mu.Lock()
			r.log.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				break
			}
		}
		close(r.logDone)
	}()
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-r.done
		}
	})
	line, err := readLineTimeout(out, 10*time.Second)
	if err != nil {
		t.Fatalf("%s %v printed no port: %v; stderr: %s", bin, args, err, r.Log())
	}
	r.Port, err = strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("%s printed %q for the port", bin, line)
	}
	return r
}

func readLineTimeout(rd io.Reader, d time.Duration) (string, error) {
	ch := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		l, err := bufio.NewReader(rd).ReadString('\n')
		if err != nil {
			errc <- err
			return
		}
		ch <- l
	}()
	select {
	case l := <-ch:
		return l, nil
	case err := <-errc:
		return "", err
	case <-time.After(d):
		return "", fmt.Errorf("timed out")
	}
}

// Log is the server's stderr so far.
func (r *running) Log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// waitLog waits until the log holds n lines matching re.
func (r *running) waitLog(re string, n int) []string {
	r.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got []string
		for _, l := range strings.Split(r.Log(), "\n") {
			if rx.MatchString(l) {
				got = append(got, l)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("waited for %d log lines matching %q; log:\n%s", n, re, r.Log())
		}
		time.Sleep(5 * time.Millisecond)
	}
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
