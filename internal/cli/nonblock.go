package cli

import "syscall"

func setNonblock(fd int) { syscall.SetNonblock(fd, true) }

func isSocket(fd int) bool {
	var st syscall.Stat_t
	return syscall.Fstat(fd, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFSOCK
}
