// Package mbox appends messages to mbox files in the format qmail-local
// and maildir2mbox write (mbox(5) as qmail documents it):
//
//	From <sender> <date in asctime form, UTC>
//	<message, each line that matches ^>*From  given one more '>'>
//	<an empty line>
//
// A message whose last line lacks a newline gets one. Deliveries take an
// exclusive flock(2) lock and an fcntl(2) lock on the file, so that both
// kinds of mail readers see them; a file still locked after LockTimeout is
// a temporary failure. Data are fsync'd before success is reported, and on
// any failure the file is truncated back to its size before the delivery.
// The directory is fsync'd too, in case the file was just created.
package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"golang.org/x/sys/unix"
)

// LockTimeout is how long Deliver waits for the locks (qmail-local: 30 s).
const LockTimeout = 30 * time.Second

// ErrLockTimeout is returned when the file stayed locked too long.
var ErrLockTimeout = errors.New("file has been locked for 30 seconds straight")

// Error is a failure of the mailbox itself: Op is "open", "lock" or
// "write".
type Error struct {
	Op   string
	Path string
	Err  error
}

func (e *Error) Error() string { return "unable to " + e.Op + " " + e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ReadError wraps a failure to read the message being delivered.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "unable to read message: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

var days = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date formats t as qmail's myctime does: asctime(3) form in UTC with a
// zero-padded day of month, and a trailing newline.
func Date(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s %s %02d %02d:%02d:%02d %d\n", days[t.Weekday()], months[t.Month()-1],
		t.Day(), t.Hour(), t.Minute(), t.Second(), t.Year())
}

// FromLine is qmail-local's UFLINE: "From ", the envelope sender with
// spaces, tabs and newlines turned into '-' (MAILER-DAEMON for the null
// sender), a space, and Date(t).
func FromLine(sender string, t time.Time) string {
	s := []byte(sender)
	for i, c := range s {
		if c == ' ' || c == '\t' || c == '\n' {
			s[i] = '-'
		}
	}
	if len(s) == 0 {
		s = []byte("MAILER-DAEMON")
	}
	return "From " + string(s) + " " + Date(t)
}

// NeedsQuote says whether a message line must get a '>' in front: it
// starts with "From " after any number of '>' (qmail's gfrom).
func NeedsQuote(line []byte) bool {
	for len(line) > 0 && line[0] == '>' {
		line = line[1:]
	}
	return bytes.HasPrefix(line, []byte("From "))
}

// WriteMessage writes one mbox entry to w: fromLine, prefix (header lines
// already in final form, not quoted), the message with quoting, a newline
// after a last line lacking one, and the separating empty line.
func WriteMessage(w io.Writer, fromLine string, prefix []byte, msg io.Reader) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(fromLine)
	bw.Write(prefix)
	br := bufio.NewReaderSize(msg, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long line: the head was checked for quoting, the
			// rest goes out as it is.
			if NeedsQuote(line) {
				bw.WriteByte('>')
			}
			bw.Write(line)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				bw.Write(line)
			}
		} else {
			if len(line) > 0 && NeedsQuote(line) {
				bw.WriteByte('>')
			}
			bw.Write(line)
		}
		if err == io.EOF {
			if len(line) > 0 {
				bw.WriteByte('\n')
			}
			break
		}
		if err != nil {
			return &ReadError{err}
		}
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// Deliver appends one entry to the mbox file path (created with mode 0600
// if missing), locked, fsync'd, and truncated back on failure.
func Deliver(path, fromLine string, prefix []byte, msg io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return &Error{"open", path, err}
	}
	defer f.Close()
	if err := Lock(f, LockTimeout); err != nil {
		return err
	}
	pos, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return &Error{"write", path, err}
	}
	err = WriteMessage(f, fromLine, prefix, msg)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		// Leave the mailbox as it was, so a retry does not duplicate a
		// partial message.
		f.Truncate(pos)
		var re *ReadError
		if errors.As(err, &re) {
			return err
		}
		return &Error{"write", path, err}
	}
	// The file may have been created just now: its directory entry must
	// be durable too before the delivery counts.
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return &Error{"write", path, err}
	}
	return nil
}

// Lock takes an exclusive flock and an exclusive fcntl lock on f, trying
// until timeout has passed.
func Lock(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	fd := int(f.Fd())
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	for haveFlock := false; ; {
		if !haveFlock {
			err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
			if err == nil {
				haveFlock = true
			} else if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
				return &Error{"lock", f.Name(), err}
			}
		}
		if haveFlock {
			err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk)
			if err == nil {
				return nil
			}
			if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINTR) {
				return &Error{"lock", f.Name(), err}
			}
		}
		if time.Now().After(deadline) {
			return ErrLockTimeout
		}
		time.Sleep(50 * time.Millisecond)
	}
}
