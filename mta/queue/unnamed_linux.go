package queue

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/rawsys"
)

// createUnnamed makes a file with no name (O_TMPFILE) in dir, for
// linkUnnamed to give it its queue name once it has one. ok is false
// where that cannot work (a kernel or filesystem without O_TMPFILE, or
// no /proc to link through), and the caller makes a named file instead.
//
// Why: ext4 puts a new file's inode in its directory's block group, and
// on ext4 without a journal every allocation scans past the inodes freed
// in that group in the last minute. qmail's flat pid/ and intd/ would
// put every message's two inodes, freed again seconds later, into two
// groups; made here in the spread split directories, they spread over
// as many groups as the split. The names and the states are qmail's; a
// crash before the link leaves nothing to clean up.
func createUnnamed(dir string) (f *rawsys.File, ok bool) {
	if !unnamedWorks() {
		return nil, false
	}
	f, err := rawsys.OpenFile(dir, unix.O_TMPFILE|unix.O_RDWR, 0o644)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) && (pe.Err == unix.EOPNOTSUPP || pe.Err == unix.EISDIR || pe.Err == unix.EINVAL) {
			unnamedBroken.Store(true)
		}
		return nil, false
	}
	return f, true
}

// linkUnnamed names the file f made by createUnnamed as path.
func linkUnnamed(f *rawsys.File, path string) error {
	return rawsys.LinkFollow(procFDDir+strconv.Itoa(f.Fd()), path)
}

// giveUpUnnamed makes every later createUnnamed of this process say no.
func giveUpUnnamed() { unnamedBroken.Store(true) }

// procLinkFailed tells an error of linkUnnamed that says the link through
// /proc cannot work (no /proc/self/fd, or a sandbox that forbids it)
// from one about the destination (disk full, a name in use).
func procLinkFailed(err error) bool {
	var le *os.LinkError
	if !errors.As(err, &le) {
		return false
	}
	switch le.Err {
	case unix.ENOENT, unix.EACCES, unix.EPERM, unix.EXDEV, unix.ENOTDIR:
		return true
	}
	return false
}

// procFDDir is where a process's descriptors are named (tests change it).
var procFDDir = "/proc/self/fd/"

var (
	unnamedBroken atomic.Bool
	procOnce      sync.Once
	procFD        bool
)

func unnamedWorks() bool {
	procOnce.Do(func() {
		_, err := os.Stat("/proc/self/fd")
		procFD = err == nil
	})
	return procFD && !unnamedBroken.Load()
}
