package testbin

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a server program (tcpserver, sslserver) started by a test
// with -1, so that it listens on a port the system chose and prints it.
type Server struct {
	Cmd  *exec.Cmd
	Port int
	// Stderr is what the server and the programs it started wrote to
	// their stderr so far.
	Stderr Output
	// Done is closed when the server has exited; Err is then what Wait
	// returned.
	Done chan struct{}
	Err  error
	// StderrDone is closed at the end of the server's stderr, when the
	// server and every program it started have closed it.
	StderrDone chan struct{}
}

// StartServer runs the program at path with -1 and args, in env and a
// directory of its own, and waits up to 20 s for the port it prints. When
// the test ends the server gets SIGTERM, and SIGKILL 5 s later if it is
// still there; a failed test logs its stderr.
func StartServer(t testing.TB, path string, env []string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(path, append([]string{"-1"}, args...)...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Cmd: cmd, Done: make(chan struct{}), StderrDone: make(chan struct{})}
	// A pipe of our own rather than a writer exec copies into: the
	// children inherit the server's stderr, so its end comes only when
	// they are all gone, and Wait must not depend on that.
	errRead, errWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = errWrite
	if err := cmd.Start(); err != nil {
		errRead.Close()
		errWrite.Close()
		t.Fatal(err)
	}
	errWrite.Close()
	go func() {
		s.Stderr.ReadFrom(errRead)
		errRead.Close()
		close(s.StderrDone)
	}()
	go func() {
		s.Err = cmd.Wait()
		close(s.Done)
	}()
	name := filepath.Base(path)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.Done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-s.Done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, s.Stderr.String())
		}
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if s.Port, err = strconv.Atoi(strings.TrimSpace(l)); err != nil {
			t.Fatalf("%s %v printed %q for its port; stderr: %s", name, args, l, s.Stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s %v printed no port in 20 s; stderr: %s", name, args, s.Stderr.String())
	}
	return s
}

// Addr is the server's address on ip.
func (s *Server) Addr(ip string) string {
	return net.JoinHostPort(ip, strconv.Itoa(s.Port))
}
