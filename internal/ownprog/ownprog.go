// Package ownprog tells whether an executable is one of quail's own
// programs, by the main package recorded in its Go build information.
// Package launch uses it to run a helper's code in its caller's process
// when the file is quail's program, and to start the file as a program
// when it is anything else: a wrapper an administrator put in its place
// is obeyed as it would be by qmail.
package ownprog

import (
	"debug/buildinfo"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/quail-mta/quail/internal/rawsys"
)

// Module is the module path of quail's programs.
const Module = "github.com/quail-mta/quail"

// Checker answers for one program, named by its main package
// (Module + "/cmd/qmail-remote"). The answer is kept for the file's
// identity (device, inode, size, modification time), so that a program
// replaced while a long-running caller runs is seen at the next check.
// The zero value with Mains set is ready; a Checker is safe for
// concurrent use.
type Checker struct {
	Mains []string // main packages that count as the program

	mu    sync.Mutex
	id    FileID
	known bool
	own   bool
}

// FileID tells one version of a file from another: a file replaced (by
// an upgrade, even with a rename) has a different one.
type FileID struct {
	dev, ino    uint64
	size, mtime int64
}

// identify returns the identity of the file path names, and its
// information.
func identify(path string) (FileID, os.FileInfo, error) {
	// Raw where the process asked for it: qmail-smtpd checks qmail-queue
	// for every message.
	fi, err := rawsys.Stat(path)
	if err != nil {
		return FileID{}, nil, err
	}
	id := FileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), st.Ino
	}
	return id, fi, nil
}

// For returns a Checker for quail's program name ("qmail-queue"), or for
// any of several programs.
func For(names ...string) *Checker {
	c := &Checker{}
	for _, n := range names {
		c.Mains = append(c.Mains, Module+"/cmd/"+n)
	}
	return c
}

// Is reports whether path is an executable file built from one of
// c.Mains.
func (c *Checker) Is(path string) bool {
	own, _, _ := c.check(path)
	return own
}

// Version is Is with the identity of the file the answer is for, so that
// a caller can tell later whether the file was replaced since.
func (c *Checker) Version(path string) (FileID, bool) {
	own, id, _ := c.check(path)
	return id, own
}

// InProcess reports whether path is c's program and starting it would
// change no credentials (it is neither set-uid nor set-gid): then its
// code can run in the caller's process with the same effect.
func (c *Checker) InProcess(path string) bool {
	own, _, mode := c.check(path)
	return own && mode&(os.ModeSetuid|os.ModeSetgid) == 0
}

// check answers Is, with the file's mode as it is now (a chmod changes
// neither the file's identity nor the cached answer).
func (c *Checker) check(path string) (bool, FileID, os.FileMode) {
	id, fi, err := identify(path)
	if err != nil {
		return false, id, 0 // the caller's exec will report why
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && c.id == id {
		return c.own, id, fi.Mode()
	}
	c.own = false
	if fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		bi, err := buildinfo.ReadFile(path)
		c.own = err == nil && slices.Contains(c.Mains, bi.Path)
	}
	c.id, c.known = id, true
	return c.own, id, fi.Mode()
}

// Quail reports whether path is an executable file built from any of
// quail's main packages.
func Quail(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return false
	}
	bi, err := buildinfo.ReadFile(path)
	return err == nil && bi.Main.Path == Module && strings.HasPrefix(bi.Path, Module+"/cmd/")
}
