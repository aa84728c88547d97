package client

import (
	"errors"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// errTimeout is a connection attempt that ran out of time.
var errTimeout = syscall.ETIMEDOUT

// dial opens a blocking TCP socket connected to remote within timeout,
// bound first to local when it is valid (-i, -p). It uses the socket calls
// directly so that the descriptor is never registered with Go's poller:
// it is handed to the program as it is.
func dial(local, remote netip.AddrPort, timeout time.Duration, iface int) (int, error) {
	family := syscall.AF_INET6
	if remote.Addr().Is4() {
		family = syscall.AF_INET
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	ok := false
	defer func() {
		if !ok {
			syscall.Close(fd)
		}
	}()
	if local.IsValid() {
		if err := syscall.Bind(fd, sockaddr(local, family, iface)); err != nil {
			return -1, &bindError{err}
		}
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return -1, err
	}
	err = syscall.Connect(fd, sockaddr(remote, family, iface))
	if err == syscall.EINPROGRESS {
		err = wait(fd, timeout)
	}
	if err != nil {
		return -1, err
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		return -1, err
	}
	ok = true
	return fd, nil
}

// wait polls a connecting socket until it is writable or the time is up,
// then reads the connection's outcome.
func wait(fd int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return errTimeout
		}
		ms := int(min(left.Milliseconds()+1, 1<<30))
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n > 0 {
			break
		}
	}
	soerr, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	if err != nil {
		return err
	}
	if soerr != 0 {
		return syscall.Errno(soerr)
	}
	return nil
}

func sockaddr(ap netip.AddrPort, family, iface int) syscall.Sockaddr {
	if family == syscall.AF_INET {
		return &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	}
	sa := &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	if ap.Addr().IsLinkLocalUnicast() {
		sa.ZoneId = uint32(iface)
	}
	return sa
}

// bindError marks a failure to take the local address (-i, -p), which is
// fatal rather than a reason to try the next address.
type bindError struct{ err error }

func (e *bindError) Error() string { return e.err.Error() }
func (e *bindError) Unwrap() error { return e.err }

func isBindError(err error) bool {
	var b *bindError
	return errors.As(err, &b)
}
