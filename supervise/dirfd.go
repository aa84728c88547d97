package supervise

import (
	"errors"

	"golang.org/x/sys/unix"
)

// The client programs (svc, svok, svstat, svwait) address files relative to
// a service directory. daemontools chdirs into it first, which gives the
// directory its own error ("unable to chdir to x: not a directory"); opening
// the directory with O_PATH fails the same way without changing the process
// state, so the functions here can also run inside tests.

// openDir opens dir for use as the base of openat.
func openDir(dir string) (int, error) {
	for {
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, err
	}
}

// openWriteNB opens name below dirfd for writing without blocking. On a FIFO
// nobody reads, this fails with ENXIO: daemontools' test for "supervise not
// running".
func openWriteNB(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, err
	}
}

// existsAt reports whether name exists below dirfd (following symlinks).
func existsAt(dirfd int, name string) (bool, error) {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, 0)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	return false, err
}

// supervisorRunning is svok's test: 0.76 opens supervise/ok for writing.
// ENXIO (nobody reads the FIFO) and ENOENT (never supervised) mean no.
func supervisorRunning(dirfd int) (bool, error) {
	fd, err := openWriteNB(dirfd, "supervise/ok")
	if err != nil {
		return false, err
	}
	unix.Close(fd)
	return true, nil
}

// writeAll writes b to fd in blocking mode.
func writeAll(fd int, b []byte) error {
	if err := unix.SetNonblock(fd, false); err != nil {
		return err
	}
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
