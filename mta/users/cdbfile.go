package users

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/colinmarc/cdb"

	"github.com/quail-mta/quail/internal/cdbmake"
	"github.com/quail-mta/quail/internal/rawsys"
)

// WriteCDB writes entries to path in qmail-newu's users/cdb format: one
// record per entry in file order (key Entry.Key, data Entry.Value), then
// the wildcard characters under the empty key. The file is built as
// path+".tmp", fsync'd and renamed over path, and the directory is
// fsync'd, so a reader sees the old table or the new one, never a part.
func WriteCDB(path string, entries []Entry) error {
	return cdbmake.WriteFile(path, func(add func(k, v []byte) error) error {
		for _, e := range entries {
			if err := add(e.Key(), e.Value()); err != nil {
				return err
			}
		}
		return add(nil, wildChars(entries))
	})
}

// lookupCDB searches users/cdb the way qmail-lspawn does. A missing file
// is no answer and no error.
func lookupCDB(path, local string) (Assignment, bool, error) {
	f, err := rawsys.OpenOS(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return Assignment{}, false, nil
	}
	if err != nil {
		return Assignment{}, false, fmt.Errorf("unable to open %s: %w", path, err)
	}
	defer f.Close()
	db, err := cdb.New(f, nil)
	if err != nil {
		return Assignment{}, false, fmt.Errorf("unable to read %s: %w", path, err)
	}
	v, ok, err := searchCDB(db.Get, local)
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("unable to read %s: %w", path, err)
		}
		return Assignment{}, false, err
	}
	a, err := assignment(v)
	if err != nil {
		return Assignment{}, false, fmt.Errorf("unable to read %s: %w", path, err)
	}
	return a, true, nil
}

// searchCDB finds the record for local through get (a cdb lookup that
// returns nil for a missing key): the exact key, then each shorter prefix
// that is empty or ends in one of the wildcard characters. For a wildcard
// the rest of local (as given, not lowercased) is appended to the record.
func searchCDB(get func([]byte) ([]byte, error), local string) ([]byte, bool, error) {
	wild, err := get([]byte{})
	if err != nil {
		return nil, false, err
	}
	if wild == nil {
		return nil, false, errors.New("no wildcard-characters record: not made by qmail-newu")
	}
	key := append(append([]byte{'!'}, lowerASCII(local)...), 0)
	v, err := get(key)
	if err != nil {
		return nil, false, err
	}
	if v != nil {
		return v, true, nil
	}
	// key without its NUL is "!" + local; a prefix of length i covers
	// key[:i], and local[i-1:] is what it leaves over.
	for i := len(key) - 1; i >= 1; i-- {
		if i > 1 && !containsByte(wild, key[i-1]) {
			continue
		}
		v, err := get(key[:i])
		if err != nil {
			return nil, false, err
		}
		if v != nil {
			return append(append([]byte{}, v...), local[i-1:]...), true, nil
		}
	}
	return nil, false, nil
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}
