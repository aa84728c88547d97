//go:build !(linux && (amd64 || arm64))

package rawsys

import (
	"os"
	"syscall"
)

// Elsewhere the calls are the ordinary ones.

const atSymlinkFollow = 0x400

func open(path string, flag int, perm uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, flag, perm)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func write(fd int, b []byte) (int, error) { return syscall.Write(fd, b) }

func read(fd int, b []byte) (int, error) { return syscall.Read(fd, b) }

func fsync(fd int) error { return syscall.Fsync(fd) }

func fstat(fd int, st *syscall.Stat_t) error { return syscall.Fstat(fd, st) }

// Stat is os.Stat.
func Stat(path string) (os.FileInfo, error) { return os.Stat(path) }

func flock(fd, how int) error { return syscall.Flock(fd, how) }

func closeFD(fd int) error { return syscall.Close(fd) }

func linkat(oldpath, newpath string, flags int) error {
	if flags != 0 {
		return syscall.ENOSYS // only Linux names unnamed files through /proc
	}
	return syscall.Link(oldpath, newpath)
}
