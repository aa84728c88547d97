package rblsmtpd

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// silence is what the client did while the greeting was held back.
type silence int

const (
	quiet  silence = iota // sent nothing: go on
	spoke                 // sent a byte before the greeting: a violation
	hungUp                // closed the connection
)

// waitSilent watches descriptor fd for d without taking any byte from it
// unless one arrives before d is over, which is a protocol violation by
// definition (RFC 5321 section 4.3.1: the client waits for the greeting).
// So a client that behaves loses nothing: its first byte comes after the
// greeting, which the program run next sends.
func waitSilent(fd int, d time.Duration) (silence, error) {
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return quiet, nil
		}
		ms := int((left + time.Millisecond - 1) / time.Millisecond)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			return quiet, err
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			return quiet, unix.EBADF
		}
		var b [1]byte
		r, err := unix.Read(fd, b[:])
		switch {
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return hungUp, nil // a reset connection is gone all the same
		case r == 0:
			return hungUp, nil
		}
		return spoke, nil
	}
}

// maxDrain bounds what drainPending throws away.
const maxDrain = 64 << 10

// drainPending reads and discards what the client has already sent, without
// waiting for more, so that closing the connection sends a FIN rather than a
// reset that could destroy the 554 reply before the client reads it.
func drainPending(fd int) {
	var buf [4096]byte
	for total := 0; total < maxDrain; {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); err != nil || n == 0 || fds[0].Revents&unix.POLLIN == 0 {
			return
		}
		r, err := unix.Read(fd, buf[:])
		if err != nil || r <= 0 {
			return
		}
		total += r
	}
}
