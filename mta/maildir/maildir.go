// Package maildir delivers to and reads Maildir directories as described
// in maildir(5) and at https://cr.yp.to/proto/maildir.html.
//
// Delivery: write the message to tmp/<unique>, fsync it, hard-link it to
// new/<unique> (rename if the file system has no hard links), remove the
// tmp name and fsync new/, so that a message acknowledged to the sender is
// on disk, and a reader never sees a partial message in new/.
//
// Unique names use the form maildir(5) now recommends rather than qmail
// 1.03's "time.pid.host" (which needed a two-second sleep to stay unique
// within one process):
//
//	<seconds>.M<microseconds>P<pid>Q<n>.<host>
//
// where n counts the deliveries this process has made, and in host '/' is
// written \057 and ':' \072, as maildir(5) asks.
//
// Reading: Scan lists new/ and cur/ oldest first by modification time, as
// qmail's maildir_scan does for qmail-pop3d and maildir2mbox, regular
// files only; OpenMessage opens one without blocking on a FIFO; FindCur
// finds one another reader renamed into cur/; Clean removes files left in
// tmp/ for more than 36 hours.
package maildir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/rawsys"
)

// Subdirectories of a maildir.
var Subdirs = []string{"tmp", "new", "cur"}

// Create makes dir and its tmp, new and cur subdirectories with mode 0700,
// as maildirmake(1) does. It fails if dir already exists.
func Create(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	for _, s := range Subdirs {
		if err := os.Mkdir(filepath.Join(dir, s), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotMaildir is wrapped by Deliver's error when dir or its tmp/ or new/
// cannot be used at all (qmail-local: "Unable to chdir to maildir").
var ErrNotMaildir = errors.New("not a usable maildir")

// ReadError wraps a failure to read the message being delivered, as
// opposed to a failure of the maildir.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "unable to read message: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

var deliveries atomic.Uint64

// hostname is the host part of unique names.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return escapeHost(h)
}

func escapeHost(h string) string {
	h = strings.ReplaceAll(h, "/", `\057`)
	return strings.ReplaceAll(h, ":", `\072`)
}

// UniqueName returns a new file name for a message delivered now.
func UniqueName(now time.Time) string {
	n := deliveries.Add(1)
	return fmt.Sprintf("%d.M%dP%dQ%d.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), n, hostname())
}

// Deliver writes prefix followed by the whole of msg into the maildir dir
// and returns the message's path in new/. On any failure nothing is left
// in new/ and the tmp/ file is removed.
func Deliver(dir string, prefix []byte, msg io.Reader) (string, error) {
	for _, s := range []string{"tmp", "new"} {
		st, err := os.Stat(filepath.Join(dir, s))
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNotMaildir, err)
		}
		if !st.IsDir() {
			return "", fmt.Errorf("%w: %s/%s is not a directory", ErrNotMaildir, dir, s)
		}
	}
	var f *os.File
	var tmp, dst string
	for try := 0; ; try++ {
		name := UniqueName(time.Now())
		tmp = filepath.Join(dir, "tmp", name)
		dst = filepath.Join(dir, "new", name)
		var err error
		f, err = rawsys.OpenOS(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			break
		}
		// A name already taken (a reused pid on a clock that went back)
		// gets a fresh one; the counter alone makes it differ.
		if !errors.Is(err, fs.ErrExist) || try == 2 {
			return "", fmt.Errorf("unable to create %s: %w", tmp, err)
		}
	}
	if err := writeSynced(f, prefix, msg); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Link(tmp, dst); err != nil {
		if !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EXDEV) {
			os.Remove(tmp)
			return "", fmt.Errorf("unable to link %s to %s: %w", tmp, dst, err)
		}
		// A file system without hard links: rename keeps the guarantee
		// that new/ only ever holds complete messages.
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("unable to rename %s to %s: %w", tmp, dst, err)
		}
	} else {
		os.Remove(tmp)
	}
	if err := durable.SyncDir(filepath.Join(dir, "new")); err != nil {
		os.Remove(dst)
		return "", err
	}
	return dst, nil
}

func writeSynced(f *os.File, prefix []byte, msg io.Reader) error {
	_, err := f.Write(prefix)
	if err == nil {
		_, err = copyMessage(f, msg)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var re *ReadError
	if err != nil && !errors.As(err, &re) {
		err = fmt.Errorf("unable to write %s: %w", f.Name(), err)
	}
	return err
}

// copyMessage copies msg to w, telling read failures from write failures.
func copyMessage(w io.Writer, msg io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		r, err := msg.Read(buf)
		if r > 0 {
			if _, werr := w.Write(buf[:r]); werr != nil {
				return n, werr
			}
			n += int64(r)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, &ReadError{err}
		}
	}
}

// Message is one file in new/ or cur/.
type Message struct {
	Path    string    // dir/new/name or dir/cur/name
	Subdir  string    // "new" or "cur"
	Name    string    // the file name, info included
	ModTime time.Time // when it was delivered (or last changed)
	Size    int64
}

// Unique is the file name without the ":2,flags" info part.
func (m Message) Unique() string {
	if i := strings.IndexByte(m.Name, ':'); i >= 0 {
		return m.Name[:i]
	}
	return m.Name
}

// Scan lists the messages of new/ (if withNew) and cur/ (if withCur),
// oldest first, skipping names starting with '.'. Like qmail's
// maildir_scan it leaves out messages modified at or after the start of
// the current second (now), so that their order among themselves is
// settled before they are listed; pass the zero time to list everything.
// Only regular files are messages (a symbolic link counts as what it
// points to): a directory, a FIFO or a device that whoever can write the
// Maildir put there is left out, where maildir_scan listed it and a
// reader would then fail on it or block opening it.
func Scan(dir string, withNew, withCur bool, now time.Time) ([]Message, error) {
	var out []Message
	for _, sub := range []string{"new", "cur"} {
		if (sub == "new" && !withNew) || (sub == "cur" && !withCur) {
			continue
		}
		d := filepath.Join(dir, sub)
		ents, err := os.ReadDir(d)
		if err != nil {
			return nil, fmt.Errorf("unable to scan %s: %w", d, err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(d, e.Name())
			st, err := os.Stat(p)
			if err != nil {
				continue // removed meanwhile by another reader
			}
			if !st.Mode().IsRegular() {
				continue
			}
			if !now.IsZero() && st.ModTime().Unix() >= now.Unix() {
				continue
			}
			out = append(out, Message{Path: p, Subdir: sub, Name: e.Name(), ModTime: st.ModTime(), Size: st.Size()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ModTime.Equal(out[j].ModTime) {
			return out[i].ModTime.Before(out[j].ModTime)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// ErrNotRegular is OpenMessage's error for a name that is not a regular
// file (any more).
var ErrNotRegular = errors.New("not a regular file")

// OpenMessage opens a message of new/ or cur/ for reading without waiting
// on what is not a regular file: a FIFO put in the place of a message
// (after Scan looked at it, too) would block an open(2) until a writer
// came; it is refused with ErrNotRegular, as is anything else but a
// regular file.
func OpenMessage(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	// Reads of a regular file never wait; blocking again, the descriptor
	// stays out of the runtime's poller.
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// FindCur looks in cur/ for the message whose unique name (Unique) is
// unique, whatever info part it has now: another reader may have renamed
// it since it was listed (a second qmail-pop3d session moving it from
// new/ to cur/ with ":2,", an IMAP server changing its flags). It returns
// the message's path, or "" when cur/ has no such message.
func FindCur(dir, unique string) (string, error) {
	d := filepath.Join(dir, "cur")
	// qmail-pop3d's name for a message it moved from new/, first.
	if p := filepath.Join(d, unique+":2,"); isRegular(p) {
		return p, nil
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		return "", fmt.Errorf("unable to scan %s: %w", d, err)
	}
	for _, e := range ents {
		if n := e.Name(); n == unique || strings.HasPrefix(n, unique+":") {
			if p := filepath.Join(d, n); isRegular(p) {
				return p, nil
			}
		}
	}
	return "", nil
}

func isRegular(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// TmpLifetime is how long a file may stay in tmp/ before Clean removes
// it: 36 hours, as maildir(5) allows.
const TmpLifetime = 36 * time.Hour

// Clean removes files in tmp/ last accessed more than TmpLifetime before
// now. Errors are ignored: cleaning is an optimisation.
func Clean(dir string, now time.Time) {
	d := filepath.Join(dir, "tmp")
	ents, err := os.ReadDir(d)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(d, e.Name())
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			continue
		}
		atime := time.Unix(st.Atim.Unix())
		if now.Sub(atime) > TmpLifetime {
			os.Remove(p)
		}
	}
}
