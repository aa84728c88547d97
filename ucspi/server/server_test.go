package server

import (
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/testbin"
)

// TestPrepareHook exercises the seam sslserver uses: Prepare adds a
// variable and gives the program a pipe instead of the socket as its
// standard output; Started and Finished are called with the pid and the
// wait status.
func TestPrepareHook(t *testing.T) {
	var log testbin.Output
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	started := make(chan int, 1)
	finished := make(chan int, 1)
	cfg := &Config{
		Name:      "tcpserver",
		Listen:    netip.MustParseAddrPort("127.0.0.1:0"),
		Backlog:   5,
		Limit:     2,
		Verbose:   true,
		LocalHost: new(string),
		Argv:      []string{"/bin/sh", "-c", `echo "$HOOKED $PROTO $TCPREMOTEIP"; exit 7`},
		Env:       []string{"PATH=/usr/bin:/bin"},
		Stderr:    &log,
		Prepare: func(s *Session) error {
			s.Env = cli.Setenv(s.Env, "HOOKED", "yes")
			s.Stdout = int(pw.Fd())
			s.Started = func(pid int) { pw.Close(); started <- pid }
			s.Finished = func(status int) { finished <- status }
			return nil
		},
	}
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(int(srv.Port))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pr.SetReadDeadline(time.Now().Add(20 * time.Second))
	out, err := io.ReadAll(pr)
	if err != nil || string(out) != "yes TCP 127.0.0.1\n" {
		t.Fatalf("program wrote %q (%v) to the hook's pipe", out, err)
	}
	pid := <-started
	select {
	case st := <-finished:
		if ws := syscall.WaitStatus(st); ws.ExitStatus() != 7 {
			t.Fatalf("Finished got status %d", st)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Finished not called")
	}
	if !strings.Contains(log.String(), "tcpserver: ok "+itoa(pid)+" ") {
		t.Fatalf("no ok line for pid %d:\n%s", pid, log.String())
	}
	srv.Stop()
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v after Stop", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestPrepareAbort: when the program cannot be started after Prepare ran,
// the session's Abort is called (to undo what Prepare set up), Started is
// not, and the connection is dropped with a warning.
func TestPrepareAbort(t *testing.T) {
	var log testbin.Output
	prepared := make(chan struct{}, 10)
	aborted := make(chan struct{}, 10)
	cfg := &Config{
		Name:      "tcpserver",
		Listen:    netip.MustParseAddrPort("127.0.0.1:0"),
		Backlog:   5,
		Limit:     2,
		LocalHost: new(string),
		Argv:      []string{"/nonexistent/program"},
		Stderr:    &log,
		Prepare: func(s *Session) error {
			prepared <- struct{}{}
			s.Abort = func() { aborted <- struct{}{} }
			s.Started = func(int) { t.Error("Started called for a program that did not start") }
			return nil
		},
	}
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Stop()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(int(srv.Port))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("dropped connection read %d bytes, %v", n, err)
	}
	select {
	case <-aborted:
	case <-time.After(20 * time.Second):
		t.Fatal("Abort not called")
	}
	if len(prepared) != 1 {
		t.Fatalf("Prepare ran %d times", len(prepared))
	}
	if !strings.Contains(log.String(), "tcpserver: warning: dropping connection, unable to run /nonexistent/program: file does not exist\n") {
		t.Fatalf("log:\n%s", log.String())
	}
}
