package djberr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestStr(t *testing.T) {
	for _, c := range []struct {
		no   syscall.Errno
		want string
	}{
		{0, "no error"},
		{syscall.ENOENT, "file does not exist"},
		{syscall.EACCES, "access denied"},
		{syscall.EPERM, "permission denied"},
		// EWOULDBLOCK is EAGAIN on Linux; error_again is compared first.
		{syscall.EAGAIN, "temporary failure"},
		{syscall.EWOULDBLOCK, "temporary failure"},
		{syscall.ELOOP, "symbolic link loop"},
		{syscall.ENXIO, "device not configured"},
		{syscall.ENODEV, "device does not support operation"},
		{syscall.EADDRINUSE, "address already used"},
		{syscall.EREMCHG, "remote address changed"},
		// Numbers error_str does not list.
		{syscall.ENOMEDIUM, "unknown error"},
		{syscall.Errno(4095), "unknown error"},
	} {
		if got := Str(c.no); got != c.want {
			t.Errorf("Str(%d: %v) = %q, want %q", int(c.no), c.no, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/file")
	_, lookErr := exec.LookPath("no-such-program-anywhere")
	for _, c := range []struct {
		why  string
		err  error
		want string
	}{
		{"a bare errno", syscall.ENOTDIR, "not a directory"},
		{"an os.PathError names neither operation nor path", statErr, "file does not exist"},
		{"wrapped with %w", fmt.Errorf("x: %w", syscall.EISDIR), "is a directory"},
		{"a net.OpError", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused"},
		{"a deadline", os.ErrDeadlineExceeded, "timed out"},
		{"a context deadline", context.DeadlineExceeded, "timed out"},
		{"a program exec.LookPath did not find", lookErr, "file does not exist"},
		{"no errno: its own text", errors.New("bad format"), "bad format"},
		{"a PathError without errno keeps only its cause", &os.PathError{Op: "open", Path: "x", Err: errors.New("odd")}, "odd"},
		{"nil", nil, "no error"},
	} {
		if got := Text(c.err); got != c.want {
			t.Errorf("%s: Text(%v) = %q, want %q", c.why, c.err, got, c.want)
		}
	}
}

// The table holds every text of Debian's error_str and nothing else. The
// compiler lays the strings out in its own order, so the order of the
// comparisons (which only matters where Linux gives two names one number)
// is pinned by TestStr and by the programs' compat tests (setlock -n on a
// held lock: "temporary failure").
func TestTableMatchesDebian(t *testing.T) {
	for _, prog := range []string{"envdir", "tcpserver"} {
		bin, err := os.ReadFile(testbin.Peer(t, prog))
		if err != nil {
			t.Fatal(err)
		}
		ours := map[string]bool{"no error": true, Unknown: true}
		for _, e := range table {
			ours[e.text] = true
			if !bytes.Contains(bin, []byte("\x00"+e.text+"\x00")) {
				t.Errorf("%s: Debian's %s has no %q", e.no, prog, e.text)
			}
		}
		// Debian's own block runs from "no error" to "unknown error";
		// most of it is laid out in order there.
		start := bytes.Index(bin, []byte("no error\x00interrupted system call\x00"))
		end := bytes.Index(bin, []byte("\x00unknown error\x00"))
		if start < 0 || end < start {
			t.Fatalf("Debian's %s: no error_str block found", prog)
		}
		for _, s := range bytes.Split(bin[start:end], []byte{0}) {
			if len(s) > 0 && !ours[string(s)] {
				t.Errorf("Debian's %s has %q, which the table lacks", prog, s)
			}
		}
	}
}

func TestWrap(t *testing.T) {
	err := Wrap("unable to open directory ./main", &os.PathError{Op: "open", Path: "./main", Err: syscall.ENOENT})
	if got, want := err.Error(), "unable to open directory ./main: file does not exist"; got != want {
		t.Errorf("Wrap: %q, want %q", got, want)
	}
	if !errors.Is(err, syscall.ENOENT) {
		t.Error("Wrap hides the errno from errors.Is")
	}
	if Wrap("x", nil) != nil {
		t.Error("Wrap of nil is not nil")
	}
}

func TestQmailText(t *testing.T) {
	if got := QmailText(syscall.ERANGE); got != "numerical result out of range" {
		t.Errorf("qmail's ERANGE: %q", got)
	}
	if got := Text(syscall.ERANGE); got != "output out of range" {
		t.Errorf("daemontools' ERANGE: %q", got)
	}
	if got := QmailText(&os.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}); got != "file does not exist" {
		t.Errorf("qmail's ENOENT: %q", got)
	}
}
