package passwd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/colinmarc/cdb"
)

// Virtual-user files, relative to the qmail home.
const (
	VPasswdFile = "users/vpasswd"
	VPasswdCDB  = "users/vpasswd.cdb"
)

// WriteVPasswdCDB writes users to path as a cdb keyed by lower-case name.
// It builds path+".tmp" with perm, fsyncs it, renames it over path and
// fsyncs the directory, so a checker sees the old table or the new one.
func WriteVPasswdCDB(path string, users []VUser, perm fs.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("unable to create %s: %w", tmp, err)
	}
	// O_CREATE's mode passes through the umask; the table must end up
	// exactly as private as the text it was made from.
	err = f.Chmod(perm)
	if err == nil {
		err = writeVUsers(f, users)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("unable to write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("unable to move %s to %s: %w", tmp, path, err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("unable to open %s: %w", filepath.Dir(path), err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("unable to sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

// noClose keeps the cdb writer from closing the file before it is synced.
type noClose struct{ io.WriteSeeker }

func writeVUsers(f *os.File, users []VUser) error {
	w, err := cdb.NewWriter(noClose{f}, nil)
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := w.Put([]byte(u.Name), u.encode()); err != nil {
			return err
		}
	}
	return w.Close()
}

// LookupVUser finds name (in any case) in the cdb at path. A name not in
// the table is ErrNoUser; a missing or unreadable table is another error.
func LookupVUser(path, name string) (VUser, error) {
	key := strings.ToLower(name)
	if key == "" || strings.ContainsAny(key, ":\x00") {
		return VUser{}, ErrNoUser
	}
	db, err := cdb.Open(path)
	if err != nil {
		return VUser{}, fmt.Errorf("unable to open %s: %w", path, err)
	}
	defer db.Close()
	v, err := db.Get([]byte(key))
	if err != nil {
		return VUser{}, fmt.Errorf("unable to read %s: %w", path, err)
	}
	if v == nil {
		return VUser{}, ErrNoUser
	}
	u, err := decodeVUser(key, v)
	if err != nil {
		return VUser{}, errors.Join(fmt.Errorf("unable to read %s", path), err)
	}
	return u, nil
}
