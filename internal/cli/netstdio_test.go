package cli

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNetStdioHelper is not a test: it is the child of TestNetStdio,
// reading a line with a deadline from its standard input and echoing it.
func TestNetStdioHelper(t *testing.T) {
	if os.Getenv("NETSTDIO_HELPER") != "1" {
		return
	}
	in, out := NetStdio()
	in.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := in.Read(buf)
	if err != nil {
		out.WriteString("read error: " + err.Error() + "\n")
		os.Exit(1)
	}
	out.Write(buf[:n])
	os.Exit(0)
}

// A per-connection program may be started on a socket that its parent
// already made non-blocking (a Go parent, qmail-popup for qmail-pop3d);
// both cases must read and write normally.
func TestNetStdio(t *testing.T) {
	for _, nonblock := range []bool{false, true} {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		if nonblock {
			syscall.SetNonblock(fds[1], true)
		}
		ours := os.NewFile(uintptr(fds[0]), "ours")
		theirs := os.NewFile(uintptr(fds[1]), "theirs")
		cmd := exec.Command(os.Args[0], "-test.run=^TestNetStdioHelper$")
		cmd.Env = append(os.Environ(), "NETSTDIO_HELPER=1")
		cmd.Stdin, cmd.Stdout = theirs, theirs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		theirs.Close()
		ours.Write([]byte("hello\n"))
		buf := make([]byte, 64)
		ours.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _ := ours.Read(buf)
		cmd.Wait()
		ours.Close()
		if got := string(buf[:n]); !strings.HasPrefix(got, "hello") {
			t.Errorf("non-blocking at start %v: child answered %q", nonblock, got)
		}
	}
}

// A pipe or a terminal is shared with whoever started the program: it
// must be left in blocking mode.
func TestNetStdioLeavesPipesAlone(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got := netFile(r); got != r {
		t.Fatal("a pipe was replaced")
	}
	flags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, r.Fd(), syscall.F_GETFL, 0)
	if flags&syscall.O_NONBLOCK != 0 {
		t.Fatal("a pipe was made non-blocking")
	}
}
