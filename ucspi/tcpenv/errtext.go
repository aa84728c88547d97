package tcpenv

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// ErrText words an error the way ucspi-tcp's messages do (djb's
// error_str), so that "unable to connect to 127.0.0.1 port 1: connection
// refused" reads the same from ours and the original.
func ErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOENT:
			return "file does not exist"
		case syscall.EACCES, syscall.EPERM:
			return "access denied"
		case syscall.EADDRINUSE:
			return "address already used"
		case syscall.EADDRNOTAVAIL:
			return "address not available"
		case syscall.ECONNREFUSED:
			return "connection refused"
		case syscall.ECONNRESET:
			return "connection reset"
		case syscall.ETIMEDOUT:
			return "timed out"
		case syscall.ENETUNREACH:
			return "network unreachable"
		case syscall.EHOSTUNREACH:
			return "host unreachable"
		case syscall.ENOEXEC:
			return "exec format error"
		}
		return errno.Error()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}
