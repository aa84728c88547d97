//go:build !linux

package queue

import "github.com/quail-mta/quail/internal/rawsys"

// createUnnamed is Linux's O_TMPFILE: elsewhere queue files are made
// with names, as qmail makes them.
func createUnnamed(dir string) (*rawsys.File, bool) { return nil, false }

func linkUnnamed(f *rawsys.File, path string) error { panic("no unnamed files here") }

func procLinkFailed(err error) bool { return false }

func giveUpUnnamed() {}
