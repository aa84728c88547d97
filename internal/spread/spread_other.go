//go:build !linux

package spread

// Subdirs does nothing here: see the Linux version.
func Subdirs(dir string) {}

// TopdirFlag is Linux's FS_TOPDIR_FL.
const TopdirFlag = 0x00020000
