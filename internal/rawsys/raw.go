//go:build linux && (amd64 || arm64)

package rawsys

import (
	"os"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"
)

// call and call6 make a system call raw once Enable was called, and
// ordinarily before.
func call(trap, a1, a2, a3 uintptr) (uintptr, syscall.Errno) {
	if enabled.Load() {
		r, _, e := syscall.RawSyscall(trap, a1, a2, a3)
		return r, e
	}
	r, _, e := syscall.Syscall(trap, a1, a2, a3)
	return r, e
}

func call6(trap, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, syscall.Errno) {
	if enabled.Load() {
		r, _, e := syscall.RawSyscall6(trap, a1, a2, a3, a4, a5, a6)
		return r, e
	}
	r, _, e := syscall.Syscall6(trap, a1, a2, a3, a4, a5, a6)
	return r, e
}

const atSymlinkFollow = 0x400 // AT_SYMLINK_FOLLOW

// cwd is AT_FDCWD, as a variable so that it converts to uintptr.
var cwd = -100

func again(e syscall.Errno) bool { return e == syscall.EINTR }

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func open(path string, flag int, perm uint32) (int, error) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	for {
		fd, e := call6(syscall.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(p)), uintptr(flag), uintptr(perm), 0, 0)
		if !again(e) {
			return int(fd), errnoErr(e)
		}
	}
}

func write(fd int, b []byte) (int, error) { return transfer(syscall.SYS_WRITE, fd, b) }

func read(fd int, b []byte) (int, error) { return transfer(syscall.SYS_READ, fd, b) }

// transfer is read(2) or write(2).
func transfer(trap uintptr, fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, e := call(trap, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		if !again(e) {
			return int(n), errnoErr(e)
		}
	}
}

func fsync(fd int) error {
	for {
		_, e := call(syscall.SYS_FSYNC, uintptr(fd), 0, 0)
		if !again(e) {
			return errnoErr(e)
		}
	}
}

func fstat(fd int, st *syscall.Stat_t) error {
	_, e := call(syscall.SYS_FSTAT, uintptr(fd), uintptr(unsafe.Pointer(st)), 0)
	return errnoErr(e)
}

// Stat is os.Stat.
func Stat(path string) (os.FileInfo, error) {
	var st syscall.Stat_t
	if err := stat(path, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return &fileInfo{name: filepath.Base(path), st: st}, nil
}

// fileInfo is what os.Stat would have said, from the same stat(2).
type fileInfo struct {
	name string
	st   syscall.Stat_t
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.st.Size }
func (fi *fileInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }
func (fi *fileInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.st }

func (fi *fileInfo) Mode() os.FileMode {
	m := os.FileMode(fi.st.Mode & 0o777)
	switch fi.st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		m |= os.ModeDir
	case syscall.S_IFLNK:
		m |= os.ModeSymlink
	case syscall.S_IFIFO:
		m |= os.ModeNamedPipe
	case syscall.S_IFSOCK:
		m |= os.ModeSocket
	case syscall.S_IFCHR:
		m |= os.ModeDevice | os.ModeCharDevice
	case syscall.S_IFBLK:
		m |= os.ModeDevice
	}
	if fi.st.Mode&syscall.S_ISUID != 0 {
		m |= os.ModeSetuid
	}
	if fi.st.Mode&syscall.S_ISGID != 0 {
		m |= os.ModeSetgid
	}
	if fi.st.Mode&syscall.S_ISVTX != 0 {
		m |= os.ModeSticky
	}
	return m
}

func stat(path string, st *syscall.Stat_t) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	_, e := call6(sysFstatat, uintptr(cwd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	return errnoErr(e)
}

func flock(fd, how int) error {
	for {
		_, e := call(syscall.SYS_FLOCK, uintptr(fd), uintptr(how), 0)
		if !again(e) {
			return errnoErr(e)
		}
	}
}

func closeFD(fd int) error {
	_, e := call(syscall.SYS_CLOSE, uintptr(fd), 0, 0)
	return errnoErr(e)
}

func linkat(oldpath, newpath string, flags int) error {
	o, err := syscall.BytePtrFromString(oldpath)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(newpath)
	if err != nil {
		return err
	}
	_, e := call6(syscall.SYS_LINKAT, uintptr(cwd), uintptr(unsafe.Pointer(o)), uintptr(cwd), uintptr(unsafe.Pointer(n)), uintptr(flags), 0)
	return errnoErr(e)
}
