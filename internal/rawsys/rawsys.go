// Package rawsys makes the system calls of a hot path the way the Go
// runtime makes calls it knows never block for long: without telling
// the scheduler. File does it for files (the queue's), Writer for a log,
// Conn for a network connection.
//
// Why: every ordinary system call enters the scheduler's syscall state.
// The first one after the process was idle wakes the runtime's monitor
// thread (sysmon), which then polls every 20 microseconds until the
// process is idle again; and with a single P (GOMAXPROCS 1, as
// qmail-smtpd runs) the monitor takes the P away from any call that
// lasts longer than a poll, such as an fsync, and starts another thread
// to look for work there is none of. For a process with nothing else to
// run while it waits, that bought nothing and cost about a sixth of
// qmail-smtpd's processor time. The price: while a call here waits for
// the disk, no other goroutine of the process runs on its P, and a
// garbage collection waits for the call to end. Use it only where the
// caller would wait for the call anyway and nothing else in the process
// is urgent.
//
// The calls are raw only in a process that called Enable; elsewhere
// (qmail-lspawn, which runs qmail-local's forwards beside other
// deliveries, say) they are ordinary. Calls interrupted by a signal are
// made again.
package rawsys

import (
	"io"
	"os"
	"sync/atomic"
	"syscall"
)

var enabled atomic.Bool

// Enable makes this process's calls through the package raw. Call it
// only in a process that has nothing else to run while one of them
// waits: one session at a time, GOMAXPROCS 1.
func Enable() { enabled.Store(true) }

// File is an open file of the hot path: a bare descriptor.
type File struct {
	fd   int
	name string
}

// Name is the name the file was opened by.
func (f *File) Name() string { return f.name }

// Fd is the descriptor.
func (f *File) Fd() int { return f.fd }

// OpenFile opens path as open(2) does, close-on-exec.
func OpenFile(path string, flag int, perm uint32) (*File, error) {
	fd, err := open(path, flag|syscall.O_CLOEXEC, perm)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &File{fd: fd, name: path}, nil
}

// OpenOS opens path as os.OpenFile does, for a file the caller wants as an
// *os.File (to read with io, or to hand on) but that is no pipe or socket.
// os.OpenFile would first try to add it to the runtime's poller, four
// system calls more on Linux for a regular file, per message in
// qmail-lspawn and qmail-send.
func OpenOS(path string, flag int, perm uint32) (*os.File, error) {
	fd, err := open(path, flag|syscall.O_CLOEXEC, perm)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Write writes all of p.
func (f *File) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := write(f.fd, p[done:])
		if err != nil {
			return done, &os.PathError{Op: "write", Path: f.name, Err: err}
		}
		if n == 0 {
			return done, &os.PathError{Op: "write", Path: f.name, Err: io.ErrShortWrite}
		}
		done += n
	}
	return done, nil
}

// Sync is fsync(2).
func (f *File) Sync() error {
	if err := fsync(f.fd); err != nil {
		return &os.PathError{Op: "sync", Path: f.name, Err: err}
	}
	return nil
}

// Stat is fstat(2).
func (f *File) Stat() (*syscall.Stat_t, error) {
	var st syscall.Stat_t
	if err := fstat(f.fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: f.name, Err: err}
	}
	return &st, nil
}

// Flock is flock(2).
func (f *File) Flock(how int) error {
	if err := flock(f.fd, how); err != nil {
		return &os.PathError{Op: "flock", Path: f.name, Err: err}
	}
	return nil
}

// Truncate is ftruncate(2); it is for error paths and not raw.
func (f *File) Truncate(size int64) error { return syscall.Ftruncate(f.fd, size) }

// Close closes the descriptor; a second Close does nothing.
func (f *File) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := closeFD(f.fd)
	f.fd = -1
	if err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// ReadFile reads the whole of the file at path, or, when it holds more
// than limit bytes, limit+1 of them, so that the caller can tell it is
// too large.
func ReadFile(path string, limit int) ([]byte, error) {
	fd, err := open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer closeFD(fd)
	b := make([]byte, 0, min(limit+1, 512))
	for len(b) <= limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := read(fd, b[len(b):min(cap(b), limit+1)])
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	return b, nil
}

// Link makes newpath a hard link to oldpath, as link(2).
func Link(oldpath, newpath string) error {
	if err := linkat(oldpath, newpath, 0); err != nil {
		return &os.LinkError{Op: "link", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// LinkFollow is Link that follows oldpath if it is a symbolic link
// (linkat with AT_SYMLINK_FOLLOW, which names an unnamed file through
// /proc/self/fd).
func LinkFollow(oldpath, newpath string) error {
	if err := linkat(oldpath, newpath, atSymlinkFollow); err != nil {
		return &os.LinkError{Op: "link", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// SyncDir fsyncs directory dir, so that the entries made or removed in it
// are on disk.
func SyncDir(dir string) error {
	fd, err := open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	err = fsync(fd)
	closeFD(fd)
	if err != nil {
		return &os.PathError{Op: "sync", Path: dir, Err: err}
	}
	return nil
}

// Writer writes to an *os.File's descriptor through the package (a log
// on descriptor 2, say). Should the descriptor be non-blocking and full,
// the rest goes through the *os.File, which waits for it: nothing
// written is dropped.
type Writer struct{ F *os.File }

func (w Writer) Write(p []byte) (int, error) {
	rc, err := w.F.SyscallConn()
	if err != nil {
		return w.F.Write(p)
	}
	done := 0
	var werr error
	rc.Control(func(fd uintptr) {
		for done < len(p) {
			n, err := write(int(fd), p[done:])
			if err != nil {
				werr = err
				return
			}
			if n == 0 {
				werr = io.ErrShortWrite
				return
			}
			done += n
		}
	})
	if werr == syscall.EAGAIN {
		n, err := w.F.Write(p[done:])
		return done + n, err
	}
	if werr != nil {
		return done, &os.PathError{Op: "write", Path: w.F.Name(), Err: werr}
	}
	return done, nil
}
