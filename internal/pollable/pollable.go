// Package pollable gives a program descriptors whose read and write
// deadlines work: Go's poller watches only non-blocking descriptors,
// and the descriptors a program inherits (its standard input and output
// from tcpserver, qmail-smtpd's pipes to qmail-queue) are blocking.
// Per-connection programs need the deadlines for their timeouts, as the
// originals' timeoutread and timeoutwrite give them.
package pollable

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Kinds are the descriptors File makes pollable.
type Kinds int

// The kinds of descriptors that can block and that the poller can watch.
const (
	Sockets Kinds = 1 << iota
	Pipes
)

// File returns f, or a non-blocking duplicate of it that the poller
// watches. f comes back as it is when its deadlines already work (the
// runtime found it non-blocking at start), when it is not of the kinds
// asked for (a terminal or a pipe may be shared with the shell that
// started the program, which would be left with a non-blocking
// descriptor; a regular file never blocks), or when it cannot be
// duplicated. The duplicate is close-on-exec, so that programs started
// later do not hold the connection; it shares the descriptor's mode,
// which stays non-blocking, so a caller must not execute a program that
// reads the original afterwards.
func File(f *os.File, name string, kinds Kinds) *os.File {
	if f.SetDeadline(time.Time{}) == nil {
		return f
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return f
	}
	fd := -1
	rc.Control(func(x uintptr) { fd = int(x) })
	var st syscall.Stat_t
	if fd < 0 || syscall.Fstat(fd, &st) != nil {
		return f
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFSOCK:
		if kinds&Sockets == 0 {
			return f
		}
	case syscall.S_IFIFO:
		if kinds&Pipes == 0 {
			return f
		}
	default:
		return f
	}
	// Close-on-exec in the same call, so that no program another
	// goroutine starts meanwhile inherits it.
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return f
	}
	if err := syscall.SetNonblock(nfd, true); err != nil {
		syscall.Close(nfd)
		return f
	}
	return os.NewFile(uintptr(nfd), name)
}
