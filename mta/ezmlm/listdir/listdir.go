// Package listdir reads and writes an ezmlm list directory as ezmlm(5)
// of ezmlm 0.53 and ezmlm-idx 7 describe it: the one-line settings
// (outlocal, outhost, listid, prefix, sublist, modpost ...), the flag
// files whose existence is the setting (public, archived, indexed,
// modsub, remote ...), the binary key, num ("messages:kbytes*4"), the
// lock files, the subscriber databases (subdb.go), the archive
// (archive.go) and the text files with their substitutions (text.go).
//
// Every program but ezmlm-make works in an existing directory; a
// missing outlocal or outhost is a temporary failure, as ezmlm's
// startup makes it, so that mail waits in the queue while an
// administrator repairs the list.
package listdir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/durable"
)

// List is one list directory.
type List struct {
	Dir      string // absolute or relative path of the directory
	Outlocal string // the list's local part (dir/outlocal)
	Outhost  string // the list's host (dir/outhost)
}

// Open reads the list's name from dir/outlocal and dir/outhost.
func Open(dir string) (*List, error) {
	l := &List{Dir: dir}
	var err error
	if l.Outlocal, err = l.required("outlocal"); err != nil {
		return nil, err
	}
	if l.Outhost, err = l.required("outhost"); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *List) required(name string) (string, error) {
	v, ok, err := l.Line(name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("unable to read %s: file does not exist", l.Path(name))
	}
	return v, nil
}

// Path is the path of a file of the list.
func (l *List) Path(name string) string { return filepath.Join(l.Dir, name) }

// Address is outlocal@outhost.
func (l *List) Address() string { return l.Outlocal + "@" + l.Outhost }

// Exists says whether the list has the file: ezmlm's getconf_isset,
// with which a flag file's presence is the setting.
func (l *List) Exists(name string) bool {
	_, err := os.Stat(l.Path(name))
	return err == nil
}

// MaxFileSize bounds what is read of one setting or text file.
const MaxFileSize = 16 << 20

// Line returns the first meaningful line of a setting (see Lines) and
// whether the file exists: ezmlm's getconf_line. An empty file exists
// with an empty value (an empty modpost is a moderated list).
func (l *List) Line(name string) (string, bool, error) {
	lines, ok, err := l.lines(name)
	if err != nil || !ok || len(lines) == 0 {
		return "", ok, err
	}
	return lines[0], true, nil
}

// Lines returns the meaningful lines of a setting: trailing spaces and
// tabs removed, empty lines and lines starting with '#' skipped
// (ezmlm's getconf). A missing file has none.
func (l *List) Lines(name string) ([]string, error) {
	lines, _, err := l.lines(name)
	return lines, err
}

func (l *List) lines(name string) ([]string, bool, error) {
	b, err := readLimited(l.Path(name))
	if IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return ConfLines(b), true, nil
}

// ConfLines splits b as ezmlm's getconf does.
func ConfLines(b []byte) []string {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		out = append(out, line)
	}
	return out
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if IsNotExist(err) {
		return nil, err
	}
	if err != nil {
		return nil, djberr.Wrap("unable to open "+path, err)
	}
	defer f.Close()
	b := make([]byte, 0, 512)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > MaxFileSize {
			return nil, fmt.Errorf("unable to read %s: file too large", path)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return b, nil
			}
			return nil, djberr.Wrap(fmt.Sprintf("unable to read %s", path), err)
		}
	}
}

// Key is the list's secret: dir/key, binary.
func (l *List) Key() ([]byte, error) {
	b, err := os.ReadFile(l.Path("key"))
	if err != nil {
		return nil, djberr.Wrap("unable to read "+l.Path("key"), err)
	}
	return b, nil
}

// Num is the content of dir/num: the number of the last message sent
// and the body volume sent so far in units of 256 bytes. An absent file
// is 0:0.
func (l *List) Num() (num, cum uint64, err error) {
	return l.numbers("num")
}

func (l *List) numbers(name string) (a, b uint64, err error) {
	v, ok, err := l.Line(name)
	if err != nil || !ok {
		return 0, 0, err
	}
	x, rest, _ := strings.Cut(v, ":")
	a, _ = strconv.ParseUint(digits(x), 10, 64)
	y, _, _ := strings.Cut(rest, ":")
	b, _ = strconv.ParseUint(digits(y), 10, 64)
	return a, b, nil
}

// digits is the leading decimal digits of s (ezmlm's scan_ulong).
func digits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// Uint reads a decimal setting; an absent file or one without a number
// gives def.
func (l *List) Uint(name string, def uint64) (uint64, error) {
	v, ok, err := l.Line(name)
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseUint(digits(v), 10, 64)
	if !ok || perr != nil {
		return def, nil
	}
	return n, nil
}

// WriteNum replaces dir/num with "num:cum\n", through numnew.
func (l *List) WriteNum(num, cum uint64) error {
	return l.WriteFile("num", fmt.Sprintf("%d:%d\n", num, cum), 0o644)
}

// WriteFile replaces a file of the list safely: the content goes to
// nameN ("numnew" for num, as ezmlm names it; name+"n" otherwise), is
// fsync'd, renamed over name, and the directory is fsync'd.
func (l *List) WriteFile(name, content string, perm os.FileMode) error {
	tmp := name + "n"
	if name == "num" {
		tmp = "numnew"
	}
	return WriteAtomic(l.Path(name), l.Path(tmp), []byte(content), perm)
}

// WriteAtomic writes data to tmp, fsyncs it, renames it to path and
// fsyncs the directory.
func WriteAtomic(path, tmp string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return djberr.Wrap(fmt.Sprintf("unable to create %s", tmp), err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return djberr.Wrap(fmt.Sprintf("unable to write %s", tmp), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return djberr.Wrap(fmt.Sprintf("unable to move %s to %s", tmp, path), err)
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return djberr.Wrap("unable to sync "+filepath.Dir(path), err)
	}
	return nil
}

// Lock is a held lock file.
type Lock struct{ f *os.File }

// Lock takes the exclusive lock on a lock file of the list ("lock",
// "lockbounce", "mod/lock", "digest/lock" ...), creating it: ezmlm's
// lockfile(), open for appending and flock'd, waiting for the holder.
func (l *List) Lock(name string) (*Lock, error) {
	return LockFile(l.Path(name))
}

// LockFile takes the exclusive lock on path.
func LockFile(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, djberr.Wrap(fmt.Sprintf("unable to open %s", path), err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, djberr.Wrap(fmt.Sprintf("unable to obtain lock on %s", path), err)
	}
	return &Lock{f}, nil
}

// Unlock lets the lock go.
func (k *Lock) Unlock() {
	if k != nil && k.f != nil {
		k.f.Close()
		k.f = nil
	}
}

// IsNotExist says whether err reports a missing file.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
