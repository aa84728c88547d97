package supervise

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// mkfifo creates a FIFO of mode 0600, leaving one that exists alone.
func mkfifo(name string) error {
	err := unix.Mkfifo(name, 0600)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// openFIFO opens a FIFO without blocking, close-on-exec, as an *os.File
// that the runtime poller can wait on.
func openFIFO(name string, mode int) (*os.File, error) {
	fd, err := unix.Open(name, mode|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// flockExNB takes an exclusive lock without waiting, as 0.76's lock_exnb.
func flockExNB(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
