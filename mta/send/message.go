package send

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/mta/queue"
)

type rstate int

const (
	pending rstate = iota
	inflight
	done
)

type rcpt struct {
	queue.Recip
	state rstate
}

// message is qmail-send's memory of one message in state S5.
type message struct {
	id       queue.ID
	birth    time.Time
	sender   string
	r        [2][]*rcpt
	next     [2]time.Time // when the channel's next round is due; zero: none
	retry    [2]time.Time // when to retry after a deferral in the current round
	queued   [2]int       // jobs waiting in the channel's list
	inflight [2]int
	deferred [2]bool // a delivery of the current round was deferred
	// finished is set when the message left the queue; jobs still
	// listed for it are dropped.
	finished bool
	removed  bool // removed by the queue tool: no bounce
	// unwritten: delivered straight from todo/, without info, local or
	// remote files (Sender.preprocess); only memory knows what is done.
	unwritten   bool
	bounceRetry time.Time // a failed bounce injection is retried then
}

func (m *message) left(ch Channel) int {
	n := 0
	for _, r := range m.r[ch] {
		if r.state != done {
			n++
		}
	}
	return n
}

// readRecips reads a local/ or remote/ file: its recipients, and its
// modification time, which is when the channel's next attempt is due.
func readRecips(path string) ([]*rcpt, time.Time, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, time.Time{}, err
	}
	return rcptsOf(b), fi.ModTime(), nil
}

// rcptsOf gives the recipients of a local/ or remote/ file's contents.
func rcptsOf(b []byte) []*rcpt {
	var out []*rcpt
	for _, r := range queue.ParseRecips(b) {
		st := pending
		if r.Done {
			st = done
		}
		out = append(out, &rcpt{Recip: r, state: st})
	}
	return out
}

// loadMessage reads a message in S5 from its info, local and remote
// files; its birth is the info file's modification time, and each
// channel's next attempt its file's (recordRetry).
func loadMessage(q *queue.Queue, id queue.ID) (*message, error) {
	info := q.Info(id)
	b, err := os.ReadFile(info)
	if err != nil {
		return nil, &loadError{path: info, info: true, err: err}
	}
	fi, err := os.Stat(info)
	if err != nil {
		return nil, &loadError{path: info, info: true, err: err}
	}
	sender, ok := queue.ParseInfo(b)
	if !ok {
		return nil, &loadError{path: info, info: true, err: errors.New("malformed info file")}
	}
	m := &message{id: id, birth: fi.ModTime(), sender: sender}
	for ch, path := range [2]string{Local: q.Local(id), Remote: q.Remote(id)} {
		if m.r[ch], m.next[ch], err = readRecips(path); err != nil {
			return nil, &loadError{path: path, err: err}
		}
	}
	return m, nil
}

// loadError is a file of a message in S5 that could not be read: its
// info file, or its local or remote file.
type loadError struct {
	path string
	info bool
	err  error
}

func (e *loadError) Error() string { return e.path + ": " + e.err.Error() }
func (e *loadError) Unwrap() error { return e.err }

// fileTrouble is a queue file qmail-send could not write, with what went
// wrong in todo_do's words: "unable to create", "trouble writing to",
// "trouble fsyncing", "unable to unlink".
type fileTrouble struct {
	trouble, path string
	err           error
}

func (e *fileTrouble) Error() string { return e.trouble + " " + e.path + ": " + e.err.Error() }
func (e *fileTrouble) Unwrap() error { return e.err }

// writeSync writes a whole file and makes its data durable.
func writeSync(path string, data []byte) error {
	_, err := writeFileSync(path, data, time.Time{}, false)
	return err
}

// writeSyncStat is writeSync that also gives the file's modification
// time as it was written (the info file's is the message's birth), or,
// with mtime set, gives the file that time before it is synced.
func writeSyncStat(path string, data []byte, mtime time.Time) (time.Time, error) {
	return writeFileSync(path, data, mtime, true)
}

// writeFileSync is both: the stat, one system call per local/ and
// remote/ file more, only where the time is wanted and not given.
func writeFileSync(path string, data []byte, mtime time.Time, stat bool) (time.Time, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return time.Time{}, &fileTrouble{"unable to create", path, err}
	}
	fail := func(trouble string, err error) (time.Time, error) {
		f.Close()
		return time.Time{}, &fileTrouble{trouble, path, err}
	}
	if _, err := f.Write(data); err != nil {
		return fail("trouble writing to", err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			return fail("trouble writing to", err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail("trouble fsyncing", err)
	}
	if stat && mtime.IsZero() {
		fi, err := f.Stat()
		if err != nil {
			return fail("trouble writing to", err)
		}
		mtime = fi.ModTime()
	}
	if err := f.Close(); err != nil {
		return time.Time{}, &fileTrouble{"trouble writing to", path, err}
	}
	return mtime, nil
}

func removeSync(path string, syncDir bool) error {
	// unlink alone: os.Remove would try rmdir after every ENOENT, and
	// most of the files removed here (bounce/N above all) do not exist.
	err := syscall.Unlink(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if syncDir {
		return durable.SyncDir(dirOf(path))
	}
	return nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return "."
}
