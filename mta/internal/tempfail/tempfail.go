// Package tempfail classifies system-call failures the way qmail's
// error_temp does: a failure that may go away if the operation is tried
// again later (I/O errors, lack of memory, timeouts, a busy or stale file,
// an unreachable NFS server) is temporary; everything else (no such file,
// permission denied, not a directory, ...) is a fact about the files.
package tempfail

import (
	"errors"
	"syscall"
)

var temporary = []syscall.Errno{
	syscall.EINTR, syscall.ENOMEM, syscall.ETXTBSY, syscall.EIO,
	syscall.EAGAIN, syscall.ETIMEDOUT, syscall.ESTALE, syscall.EHOSTUNREACH,
	syscall.ENETDOWN, syscall.ENETUNREACH, syscall.ECONNREFUSED,
	syscall.ECONNRESET, syscall.EDEADLK, syscall.ENFILE, syscall.EMFILE,
	syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EBUSY,
}

// Temporary says whether err may go away by itself. An error that carries
// no errno is taken as temporary: when in doubt, keep the mail.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	var no syscall.Errno
	if !errors.As(err, &no) {
		return true
	}
	for _, t := range temporary {
		if no == t {
			return true
		}
	}
	return false
}
