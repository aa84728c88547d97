//go:build !linux

package queue

import "os"

// createUnnamed is Linux's O_TMPFILE: elsewhere queue files are made
// with names, as qmail makes them.
func createUnnamed(dir string) (*os.File, bool) { return nil, false }

func linkUnnamed(f *os.File, path string) error { panic("no unnamed files here") }

func procLinkFailed(err error) bool { return false }

func giveUpUnnamed() {}
