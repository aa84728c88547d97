// Package spread asks the filesystem to place directories apart.
package spread

import "golang.org/x/sys/unix"

// Subdirs asks the filesystem to place the directories made below dir in
// different allocation groups, as it does for the top of the tree (ext4's
// "top directory" attribute, chattr +T). A file's inode is allocated in
// the group of its directory, so the churn of thousands of files (a
// queue's messages) is spread over many inode bitmaps instead of one,
// and kept apart from other programs' churn. It matters on ext4 without
// a journal, which scans past every inode freed in the last minute
// before it reuses one: with everything in one group that scan grows
// with the rate of deletions. Other filesystems ignore the attribute or
// refuse it; either is fine.
func Subdirs(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil || flags&TopdirFlag != 0 {
		return
	}
	unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags|TopdirFlag))
}

// TopdirFlag is FS_TOPDIR_FL of linux/fs.h, which x/sys does not name.
const TopdirFlag = 0x00020000
