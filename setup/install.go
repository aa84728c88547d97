package setup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/quail-mta/quail/internal/durable"
)

// owner is who a file belongs to; -1 keeps the creating user's.
type owner struct{ uid, gid int }

var self = owner{-1, -1}

// installer adds what is missing and says what it did. It never changes
// or removes an existing file: that is the administrator's.
type installer struct {
	cfg     *Config
	out     io.Writer
	name    string
	changes int
	silent  bool // building something that appears later as one change
}

func (in *installer) say(format string, a ...any) {
	fmt.Fprintf(in.out, "%s: %s\n", in.name, fmt.Sprintf(format, a...))
}

// show names a path as the administrator sees it: without the root prefix.
func (in *installer) show(path string) string {
	if in.cfg.Root != "" {
		if rel, err := filepath.Rel(in.cfg.Root, path); err == nil && !strings.HasPrefix(rel, "..") {
			return "/" + rel
		}
	}
	return path
}

func (in *installer) created(path string) {
	in.changes++
	if in.silent {
		return
	}
	in.say("created %s", in.show(path))
}

// kept reports an existing file that setup would have written.
func (in *installer) kept(path string) {
	if in.silent {
		return
	}
	in.say("kept %s", in.show(path))
}

func setOwner(path string, mode fs.FileMode, o owner) error {
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	if o.uid >= 0 || o.gid >= 0 {
		return os.Lchown(path, o.uid, o.gid)
	}
	return nil
}

// dir makes a directory (and its missing parents, owned as the creator's)
// with mode and owner; an existing one is kept silently.
func (in *installer) dir(path string, mode fs.FileMode, o owner) error {
	fi, err := os.Lstat(path)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", in.show(path))
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(path, mode); err != nil {
		return err
	}
	if err := setOwner(path, mode, o); err != nil {
		return err
	}
	in.created(path)
	return nil
}

// file writes a new file with content, mode and owner. It is built under
// a temporary name, fsync'd and linked into place, so the name appears
// complete or not at all, and an existing file is never replaced.
func (in *installer) file(path, content string, mode fs.FileMode, o owner) error {
	return in.fileQuiet(path, content, mode, o, true)
}

func (in *installer) fileQuiet(path, content string, mode fs.FileMode, o owner, report bool) error {
	if _, err := os.Lstat(path); err == nil {
		if report {
			in.kept(path)
		}
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".quail-setup")
	os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	_, err = io.WriteString(f, content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = setOwner(tmp, mode, o)
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("unable to write %s: %w", in.show(path), err)
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return err
	}
	in.created(path)
	return nil
}

// symlink makes path point at target unless path exists.
func (in *installer) symlink(target, path string, o owner) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if err := os.Symlink(target, path); err != nil {
		return err
	}
	if o.uid >= 0 || o.gid >= 0 {
		if err := os.Lchown(path, o.uid, o.gid); err != nil {
			return err
		}
	}
	in.created(path)
	return nil
}

// copyFile installs a copy of src (a program that must be a real file,
// such as a set-uid qmail-queue) unless path exists.
func (in *installer) copyFile(src, path string, mode fs.FileMode, o owner) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	// The mode goes on after the owner: chown clears set-uid bits.
	if err := in.fileQuiet(path, string(b), mode&fs.ModePerm, o, false); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
