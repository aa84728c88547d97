package cli

import "syscall"

func setNonblock(fd int) { syscall.SetNonblock(fd, true) }
