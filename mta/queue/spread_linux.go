package queue

import "golang.org/x/sys/unix"

// spreadSubdirs asks the filesystem to place the directories made below
// dir in different allocation groups, as it does for the top of the tree
// (ext4's "top directory" attribute, chattr +T). Each queue file's inode
// is then allocated in the group of its own directory, so the churn of
// thousands of messages is spread over many inode bitmaps instead of
// one. It matters on ext4 without a journal, which scans past every
// inode freed in the last minute before it reuses one: with the whole
// queue in one group that scan grows with the delivery rate. Other
// filesystems ignore the attribute or refuse it; either is fine.
func spreadSubdirs(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil || flags&fsTopdirFlag != 0 {
		return
	}
	unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags|fsTopdirFlag))
}

// fsTopdirFlag is FS_TOPDIR_FL of linux/fs.h, which x/sys does not name.
const fsTopdirFlag = 0x00020000
