package cdbmake

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/internal/durable"
)

// WriteFile builds the cdb at path from the records that fill adds, the
// way every table is replaced in qmail: written to path+".tmp", fsync'd,
// renamed over path, and the directory fsync'd, so a reader sees either
// the old table or the new one. On any error path is untouched and the
// temporary file removed.
func WriteFile(path string, fill func(add func(key, value []byte) error) error) error {
	return WriteFileVia(path, path+".tmp", fill)
}

// WriteFileVia is WriteFile with the temporary file named by the caller,
// as tcprules takes it as an argument. It must be on the same file system.
func WriteFileVia(path, tmp string, fill func(add func(key, value []byte) error) error) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("unable to create %s: %w", tmp, err)
	}
	w := New(f)
	err = fill(w.Add)
	if err == nil {
		err = w.Finish()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("unable to move %s to %s: %w", tmp, path, err)
	}
	return durable.SyncDir(filepath.Dir(path))
}
