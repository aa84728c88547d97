// Package durable makes what a program wrote survive a crash of the
// machine, beyond the fsync of a file's own data.
package durable

import "github.com/quail-mta/quail/internal/rawsys"

// SyncDir fsyncs a directory, so that the entries made, renamed or
// removed in it are on disk: a file's fsync alone does not promise its
// name. The descriptor is a bare one (package rawsys): os.Open would
// first try to add the directory to the runtime's poller.
func SyncDir(dir string) error { return rawsys.SyncDir(dir) }
