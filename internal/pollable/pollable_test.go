package pollable

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func nonblocking(t *testing.T, f *os.File) bool {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags uintptr
	rc.Control(func(fd uintptr) {
		flags, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	})
	return flags&syscall.O_NONBLOCK != 0
}

// blockingFile turns a descriptor into an *os.File the runtime does not
// poll, as an inherited descriptor is.
func blockingFile(t *testing.T, fd int, name string) *os.File {
	t.Helper()
	syscall.SetNonblock(fd, false)
	f := os.NewFile(uintptr(fd), name)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestFile(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	sock := blockingFile(t, fds[0], "sock")
	blockingFile(t, fds[1], "peer")
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	pipe := blockingFile(t, p[0], "pipe")
	blockingFile(t, p[1], "pipe writer")
	regular, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()

	cases := []struct {
		why      string
		f        *os.File
		kinds    Kinds
		replaced bool
	}{
		{"a socket, sockets asked", sock, Sockets, true},
		{"a socket, pipes only", sock, Pipes, false},
		{"a pipe, sockets only: shared with the shell", pipe, Sockets, false},
		{"a pipe, pipes asked", pipe, Sockets | Pipes, true},
		{"a regular file never blocks", regular, Sockets | Pipes, false},
	}
	for _, c := range cases {
		got := File(c.f, "x", c.kinds)
		if (got != c.f) != c.replaced {
			t.Errorf("%s: replaced %v, want %v", c.why, got != c.f, c.replaced)
			continue
		}
		if !c.replaced {
			if nonblocking(t, c.f) {
				t.Errorf("%s: left non-blocking", c.why)
			}
			continue
		}
		if err := got.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
			t.Errorf("%s: the duplicate has no deadlines: %v", c.why, err)
		}
		if _, err := got.Read(make([]byte, 1)); !os.IsTimeout(err) {
			t.Errorf("%s: a read past the deadline returned %v", c.why, err)
		}
		rc, _ := got.SyscallConn()
		rc.Control(func(fd uintptr) {
			flags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFD, 0)
			if flags&syscall.FD_CLOEXEC == 0 {
				t.Errorf("%s: the duplicate is inherited by programs started later", c.why)
			}
		})
		if again := File(got, "y", c.kinds); again != got {
			t.Errorf("%s: a descriptor already polled was duplicated again", c.why)
		}
		got.Close()
		syscall.SetNonblock(int(c.f.Fd()), false)
	}
}
