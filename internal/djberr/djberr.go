// Package djberr words system errors as D. J. Bernstein's programs do.
// daemontools, ucspi-tcp and qmail print a failed call's cause with
// error_str (error_str.c, with the names of error.h), not with the C
// library's strerror: "file does not exist", "access denied", "symbolic
// link loop", "temporary failure". Every program of those families prints
// its causes through Text, so that its diagnostics read, byte for byte, as
// the original's.
//
// error_str is a chain of comparisons in a fixed order, the first equal
// number winning. On Linux EWOULDBLOCK is EAGAIN, and error_again comes
// first: a lock already held (setlock -n) or a non-blocking read that
// would block is "temporary failure", never "input/output would block".
// A number the table lacks is "unknown error".
package djberr

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// entry is one comparison of error_str.
type entry struct {
	no   syscall.Errno
	text string
}

// table is error_str's chain in its order, restricted to the names Linux
// has (EPROCLIM, the RPC errors, EFTYPE, EAUTH, ENEEDAUTH and ERREMOTE are
// BSD's). The first block is error.h's error_* names.
var table = []entry{
	{syscall.EINTR, "interrupted system call"},        // error_intr
	{syscall.ENOMEM, "out of memory"},                 // error_nomem
	{syscall.ENOENT, "file does not exist"},           // error_noent
	{syscall.ETXTBSY, "text busy"},                    // error_txtbsy
	{syscall.EIO, "input/output error"},               // error_io
	{syscall.EEXIST, "file already exists"},           // error_exist
	{syscall.ETIMEDOUT, "timed out"},                  // error_timeout
	{syscall.EINPROGRESS, "operation in progress"},    // error_inprogress
	{syscall.EAGAIN, "temporary failure"},             // error_again
	{syscall.EWOULDBLOCK, "input/output would block"}, // error_wouldblock: EAGAIN on Linux, never reached
	{syscall.EPIPE, "broken pipe"},                    // error_pipe
	{syscall.EPERM, "permission denied"},              // error_perm
	{syscall.EACCES, "access denied"},                 // error_acces
	{syscall.ENXIO, "device not configured"},          // error_nodevice
	{syscall.EPROTO, "protocol error"},                // error_proto
	{syscall.EISDIR, "is a directory"},                // error_isdir
	{syscall.ECONNREFUSED, "connection refused"},      // error_connrefused
	{syscall.ENOTDIR, "not a directory"},              // error_notdir
	{syscall.ESRCH, "no such process"},
	{syscall.E2BIG, "argument list too long"},
	{syscall.ENOEXEC, "exec format error"},
	{syscall.EBADF, "file descriptor not open"},
	{syscall.ECHILD, "no child processes"},
	{syscall.EDEADLK, "operation would cause deadlock"},
	{syscall.EFAULT, "bad address"},
	{syscall.ENOTBLK, "not a block device"},
	{syscall.EBUSY, "device busy"},
	{syscall.EXDEV, "cross-device link"},
	{syscall.ENODEV, "device does not support operation"},
	{syscall.EINVAL, "invalid argument"},
	{syscall.ENFILE, "system cannot open more files"},
	{syscall.EMFILE, "process cannot open more files"},
	{syscall.ENOTTY, "not a tty"},
	{syscall.EFBIG, "file too big"},
	{syscall.ENOSPC, "out of disk space"},
	{syscall.ESPIPE, "unseekable descriptor"},
	{syscall.EROFS, "read-only file system"},
	{syscall.EMLINK, "too many links"},
	{syscall.EDOM, "input out of range"},
	{syscall.ERANGE, "output out of range"},
	{syscall.EALREADY, "operation already in progress"},
	{syscall.ENOTSOCK, "not a socket"},
	{syscall.EDESTADDRREQ, "destination address required"},
	{syscall.EMSGSIZE, "message too long"},
	{syscall.EPROTOTYPE, "incorrect protocol type"},
	{syscall.ENOPROTOOPT, "protocol not available"},
	{syscall.EPROTONOSUPPORT, "protocol not supported"},
	{syscall.ESOCKTNOSUPPORT, "socket type not supported"},
	{syscall.EOPNOTSUPP, "operation not supported"},
	{syscall.EPFNOSUPPORT, "protocol family not supported"},
	{syscall.EAFNOSUPPORT, "address family not supported"},
	{syscall.EADDRINUSE, "address already used"},
	{syscall.EADDRNOTAVAIL, "address not available"},
	{syscall.ENETDOWN, "network down"},
	{syscall.ENETUNREACH, "network unreachable"},
	{syscall.ENETRESET, "network reset"},
	{syscall.ECONNABORTED, "connection aborted"},
	{syscall.ECONNRESET, "connection reset"},
	{syscall.ENOBUFS, "out of buffer space"},
	{syscall.EISCONN, "already connected"},
	{syscall.ENOTCONN, "not connected"},
	{syscall.ESHUTDOWN, "socket shut down"},
	{syscall.ETOOMANYREFS, "too many references"},
	{syscall.ELOOP, "symbolic link loop"},
	{syscall.ENAMETOOLONG, "file name too long"},
	{syscall.EHOSTDOWN, "host down"},
	{syscall.EHOSTUNREACH, "host unreachable"},
	{syscall.ENOTEMPTY, "directory not empty"},
	{syscall.EUSERS, "too many users"},
	{syscall.EDQUOT, "disk quota exceeded"},
	{syscall.ESTALE, "stale NFS file handle"},
	{syscall.EREMOTE, "too many levels of remote in path"},
	{syscall.ENOLCK, "no locks available"},
	{syscall.ENOSYS, "system call not available"},
	{syscall.ENOSTR, "not a stream device"},
	{syscall.ETIME, "timer expired"},
	{syscall.ENOSR, "out of stream resources"},
	{syscall.ENOMSG, "no message of desired type"},
	{syscall.EBADMSG, "bad message type"},
	{syscall.EIDRM, "identifier removed"},
	{syscall.ENONET, "machine not on network"},
	{syscall.ENOLINK, "link severed"},
	{syscall.EADV, "advertise error"},
	{syscall.ESRMNT, "srmount error"},
	{syscall.ECOMM, "communication error"},
	{syscall.EMULTIHOP, "multihop attempted"},
	{syscall.EREMCHG, "remote address changed"},
}

// Unknown is error_str's answer for a number it does not list.
const Unknown = "unknown error"

// Str is error_str(no): the words for an error number, "no error" for 0.
func Str(no syscall.Errno) string {
	if no == 0 {
		return "no error"
	}
	for _, e := range table {
		if e.no == no {
			return e.text
		}
	}
	return Unknown
}

// Text is the cause err stands for, in error_str's words: the words of the
// error number it carries (through any wrapping: *os.PathError,
// *os.SyscallError, *net.OpError, *exec.Error ...). A time limit that
// passed is "timed out" and a program not found is "file does not exist",
// as the errno the original would have met says. An error that carries no
// number keeps its own text, less the operation and file name an
// *os.PathError repeats (the caller's message names them already).
func Text(err error) string {
	if err == nil {
		return Str(0)
	}
	var no syscall.Errno
	if errors.As(err, &no) {
		return Str(no)
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return Str(syscall.ETIMEDOUT)
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return Str(syscall.ENOENT)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Step is a failed step of a program, worded as strerr_die*sys words it:
// what the program was unable to do, then the cause in error_str's words
// ("unable to open directory ./main: file does not exist").
type Step struct {
	What string // "unable to open directory ./main"
	Err  error
}

func (e *Step) Error() string { return e.What + ": " + Text(e.Err) }
func (e *Step) Unwrap() error { return e.Err }

// Wrap returns err as the failure of the step what; nil stays nil.
func Wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return &Step{What: what, Err: err}
}

// QmailText is Text for qmail 1.03's programs. qmail's error_str (its
// error_str.c) is the older table: the same words for every number but
// ERANGE, which it lists early as error_range, "numerical result out of
// range", where daemontools and ucspi-tcp say "output out of range".
func QmailText(err error) string {
	var no syscall.Errno
	if errors.As(err, &no) && no == syscall.ERANGE {
		return "numerical result out of range"
	}
	return Text(err)
}
