package pop3

import (
	"os"
	"syscall"
)

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
