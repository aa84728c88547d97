// Package durable makes what a program wrote survive a crash of the
// machine, beyond the fsync of a file's own data.
package durable

import (
	"fmt"
	"os"
)

// SyncDir fsyncs a directory, so that the entries made, renamed or
// removed in it are on disk: a file's fsync alone does not promise its
// name.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("unable to sync %s: %w", dir, err)
	}
	return nil
}
