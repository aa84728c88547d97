package client

import "syscall"

// reserveDescriptors makes sure descriptors 6 and 7 are open before the
// Go runtime or the DNS client opens anything, so that nothing of ours
// (the poller's epoll descriptor in particular) lands there and is then
// overwritten when the socket is put in place just before exec. A
// descriptor already open, inherited from the parent, is left alone: the
// program gets the socket there anyway.
func reserveDescriptors() {
	for _, fd := range []int{ReadFD, WriteFD} {
		if _, err := fcntl(fd, syscall.F_GETFD); err != syscall.EBADF {
			continue
		}
		nul, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return
		}
		if nul != fd {
			syscall.Dup3(nul, fd, syscall.O_CLOEXEC)
			syscall.Close(nul)
		}
	}
}

// placeAt puts the connected socket at both descriptors, without the
// close-on-exec flag, and closes the original.
func placeAt(fd int, at ...int) error {
	for _, a := range at {
		if a == fd {
			if _, err := fcntl(fd, syscall.F_SETFD, 0); err != nil {
				return err
			}
			continue
		}
		if err := syscall.Dup3(fd, a, 0); err != nil {
			return err
		}
	}
	for _, a := range at {
		if a == fd {
			return nil
		}
	}
	return syscall.Close(fd)
}

func fcntl(fd, cmd int, arg ...int) (int, error) {
	a := 0
	if len(arg) > 0 {
		a = arg[0]
	}
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(a))
	if e != 0 {
		return int(r), e
	}
	return int(r), nil
}
