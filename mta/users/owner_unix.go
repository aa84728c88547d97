package users

import (
	"io/fs"
	"syscall"
)

// owner is the uid that owns the file st describes.
func owner(st fs.FileInfo) int {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid)
	}
	return -1
}
