package supervise

import (
	"errors"
	"syscall"
)

// djbErrors holds the wording of djb's error_str for the errors these
// programs meet, so that svstat's and svc's lines read exactly as
// daemontools' do (svstat prints "unable to chdir: file does not exist",
// not the C library's text). Where two names share a number, the first in
// djb's table wins, as in his lookup (EAGAIN is "temporary failure").
var djbErrors = map[syscall.Errno]string{
	syscall.EINTR:        "interrupted system call",
	syscall.ENOMEM:       "out of memory",
	syscall.ENOENT:       "file does not exist",
	syscall.ETXTBSY:      "text busy",
	syscall.EIO:          "input/output error",
	syscall.EEXIST:       "file already exists",
	syscall.ETIMEDOUT:    "timed out",
	syscall.EINPROGRESS:  "operation in progress",
	syscall.EAGAIN:       "temporary failure",
	syscall.EPIPE:        "broken pipe",
	syscall.EPERM:        "permission denied",
	syscall.EACCES:       "access denied",
	syscall.ENXIO:        "device not configured",
	syscall.ENODEV:       "device not configured",
	syscall.EPROTO:       "protocol error",
	syscall.EISDIR:       "is a directory",
	syscall.ECONNREFUSED: "connection refused",
	syscall.ENOTDIR:      "not a directory",
	syscall.ESRCH:        "no such process",
	syscall.E2BIG:        "argument list too long",
	syscall.ENOEXEC:      "exec format error",
	syscall.EBADF:        "file descriptor not open",
	syscall.ECHILD:       "no child processes",
	syscall.EFAULT:       "bad address",
	syscall.EBUSY:        "device busy",
	syscall.EXDEV:        "cross-device link",
	syscall.EINVAL:       "invalid argument",
	syscall.ENFILE:       "system cannot open more files",
	syscall.EMFILE:       "process cannot open more files",
	syscall.ENOTTY:       "not a tty",
	syscall.EFBIG:        "file too big",
	syscall.ENOSPC:       "out of disk space",
	syscall.ESPIPE:       "unseekable descriptor",
	syscall.EROFS:        "read-only file system",
	syscall.EMLINK:       "too many links",
	syscall.ELOOP:        "symbolic link loop",
	syscall.ENAMETOOLONG: "file name too long",
	syscall.ENOTEMPTY:    "directory not empty",
	syscall.EDQUOT:       "disk quota exceeded",
	syscall.ESTALE:       "stale NFS file handle",
	syscall.ENOLCK:       "no locks available",
	syscall.ENOSYS:       "system call not available",
}

// errstr renders err the way daemontools would: the djb wording of its
// errno when it has one, else the error's own text.
func errstr(err error) string {
	var no syscall.Errno
	if errors.As(err, &no) {
		if s, ok := djbErrors[no]; ok {
			return s
		}
	}
	return err.Error()
}
