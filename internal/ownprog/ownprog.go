// Package ownprog tells whether an executable is one of quail's own
// programs, by the main package recorded in its Go build information.
// The programs that start helpers (qmail-rspawn starting qmail-remote,
// sendmail and qmail-smtpd starting qmail-queue) run the helper's code
// in their own process when it is quail's, and start the file as a
// program when it is anything else: a wrapper an administrator put in
// its place is obeyed as it would be by qmail.
package ownprog

import (
	"debug/buildinfo"
	"os"
	"sync"
	"syscall"
)

// Module is the module path of quail's programs.
const Module = "github.com/quail-mta/quail"

// Checker answers for one program, named by its main package
// (Module + "/cmd/qmail-remote"). The answer is kept for the file's
// identity (device, inode, size, modification time), so that a program
// replaced while a long-running caller runs is seen at the next check.
// The zero value with Main set is ready; a Checker is safe for
// concurrent use.
type Checker struct {
	Main string

	mu    sync.Mutex
	id    fileID
	known bool
	own   bool
}

type fileID struct {
	dev, ino    uint64
	size, mtime int64
}

// For returns a Checker for quail's program name ("qmail-queue").
func For(name string) *Checker { return &Checker{Main: Module + "/cmd/" + name} }

// Is reports whether path is an executable file built from c.Main, and
// returns the file's information (nil when it cannot be looked at: the
// caller's exec will report why).
func (c *Checker) Is(path string) (bool, os.FileInfo) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, nil
	}
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), st.Ino
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && c.id == id {
		return c.own, fi
	}
	c.own = false
	if fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		bi, err := buildinfo.ReadFile(path)
		c.own = err == nil && bi.Path == c.Main
	}
	c.id, c.known = id, true
	return c.own, fi
}

// InProcess reports whether path is c's program and starting it would
// change no credentials (it is neither set-uid nor set-gid): then its
// code can run in the caller's process with the same effect.
func (c *Checker) InProcess(path string) bool {
	own, fi := c.Is(path)
	return own && fi.Mode()&(os.ModeSetuid|os.ModeSetgid) == 0
}
