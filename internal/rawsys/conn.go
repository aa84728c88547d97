package rawsys

import (
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// Conn is a non-blocking *os.File (a network connection) read and
// written with raw system calls always, Enable or not: a read or write
// of a non-blocking descriptor never blocks, and the waiting is left to
// the runtime's poller, as *os.File leaves it. Its deadlines are the
// file's.
type Conn struct {
	f  *os.File
	rc syscall.RawConn
}

// NewConn returns a Conn for f when f's descriptor is non-blocking and in the
// runtime's poller, and ok false otherwise: a blocking descriptor must be
// left to *os.File, whose system calls may block.
func NewConn(f *os.File) (c *Conn, ok bool) {
	if f.SetReadDeadline(time.Time{}) != nil {
		return nil, false // not in the poller
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false
	}
	nonblocking := false
	rc.Control(func(fd uintptr) {
		flags, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		nonblocking = e == 0 && flags&syscall.O_NONBLOCK != 0
	})
	if !nonblocking {
		return nil, false
	}
	return &Conn{f: f, rc: rc}, true
}

// Read reads as (*os.File).Read does.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			if e == syscall.EINTR {
				continue
			}
			n, errno = int(r), e
			return e != syscall.EAGAIN
		}
	})
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, &os.PathError{Op: "read", Path: c.f.Name(), Err: errno}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p as (*os.File).Write does.
func (c *Conn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		var n int
		var errno syscall.Errno
		err := c.rc.Write(func(fd uintptr) bool {
			for {
				r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[done])), uintptr(len(p)-done))
				if e == syscall.EINTR {
					continue
				}
				n, errno = int(r), e
				return e != syscall.EAGAIN
			}
		})
		if err != nil {
			return done, err
		}
		if errno != 0 {
			return done, &os.PathError{Op: "write", Path: c.f.Name(), Err: errno}
		}
		done += n
	}
	return done, nil
}

// SetReadDeadline sets the file's read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// SetWriteDeadline sets the file's write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }
