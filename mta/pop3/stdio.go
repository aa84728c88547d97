package pop3

import (
	"os"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
)

// netStdio returns standard input and output in a form that honours
// deadlines. When descriptor 0 was already non-blocking at start-up the
// Go runtime has registered os.Stdin and os.Stdout with its poller, and a
// second registration (cli.NetStdio's) would fail and leave reads
// returning EAGAIN; then the invocation's own files are the pollable
// ones.
func netStdio(inv *cli.Invocation) (in, out *os.File) {
	if nonblocking(0) && inv.Stdin != nil && inv.Stdout != nil {
		return inv.Stdin, inv.Stdout
	}
	return cli.NetStdio()
}

func nonblocking(fd int) bool {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	return errno == 0 && flags&syscall.O_NONBLOCK != 0
}

// setBlocking puts f back in blocking mode before it is handed to a
// child: a program that does not expect a non-blocking descriptor (any
// C program, and Go's own start-up registration) reads it wrongly.
func setBlocking(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) { syscall.SetNonblock(int(fd), false) })
}
