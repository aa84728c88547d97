package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/rawsys"
)

// Ossified is the age after which qmail takes a file that no program
// finished (pid/ debris, a message in S2 or S3) for a crash's leftover:
// 36 hours, more than qmail-queue's 24-hour limit on one run.
const Ossified = 36 * time.Hour

// State is one of INTERNALS' states of a message (see the package doc).
type State int

// The states.
const (
	S1 State = iota + 1
	S2
	S3
	S4
	S5
)

func (s State) String() string { return "S" + strconv.Itoa(int(s)) }

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// State tells which state message id is in.
func (q *Queue) State(id ID) (State, error) {
	for _, c := range []struct {
		path  string
		state State
	}{{q.Todo(id), S4}, {q.Info(id), S5}, {q.Intd(id), S3}, {q.Mess(id), S2}} {
		ok, err := exists(c.path)
		if err != nil {
			return 0, err
		}
		if ok {
			if c.state == S3 {
				// intd without mess is not a state qmail-queue makes.
				if m, err := exists(q.Mess(id)); err != nil || !m {
					return S1, err
				}
			}
			return c.state, nil
		}
	}
	return S1, nil
}

// ids lists the message numbers named in a directory, sorted.
func ids(dir string) ([]ID, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []ID
	for _, e := range ents {
		if id, ok := ParseID(e.Name()); ok {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (q *Queue) splitIDs(kind string) ([]ID, error) {
	var out []ID
	for i := 0; i < q.Split; i++ {
		l, err := ids(q.Path(kind, strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Todos lists the messages in todo/ (state S4).
func (q *Queue) Todos() ([]ID, error) { return ids(q.Path("todo")) }

// Infos lists the messages with an info file (S5, or S4 half preprocessed).
func (q *Queue) Infos() ([]ID, error) { return q.splitIDs("info") }

// Messages lists every message file.
func (q *Queue) Messages() ([]ID, error) { return q.splitIDs("mess") }

// lockFile applies flock(2) to an open file without switching it to
// blocking mode as Fd would.
func lockFile(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = syscall.Flock(int(fd), how) }); err != nil {
		return err
	}
	return ferr
}

// Writing says whether a live qmail-queue holds the file at path (a mess
// or pid file) locked. A file that cannot be opened counts as held, so
// that doubt never removes anything.
func Writing(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	defer f.Close()
	return lockFile(f, syscall.LOCK_EX|syscall.LOCK_NB) != nil
}

// PidGrace is how old an unlocked pid/ file must be before it is taken
// for debris: qmail-queue locks it an instant after making it.
const PidGrace = 2 * time.Second

// Stale lists the messages in S2 or S3 that no live qmail-queue is
// writing (the lock qmail-queue holds is free) or, whatever the lock
// says, whose mess file is older than Ossified at now: a crashed
// qmail-queue's, or a finished message whose last cleanup was cut by a
// crash. Both are removed (RemoveMessage, which checks again: the list is
// out of date as soon as it is made).
func (q *Queue) Stale(now time.Time) ([]ID, error) {
	all, err := q.Messages()
	if err != nil {
		return nil, err
	}
	var out []ID
	for _, id := range all {
		f, err := q.claimStale(id, now)
		if err != nil {
			if errors.Is(err, errUnreadable) {
				continue // doubt never removes anything
			}
			return nil, err
		}
		if f != nil {
			f.Close()
			out = append(out, id)
		}
	}
	return out, nil
}

// staleProbe, when set (tests), runs in claimStale between its first
// look at a message and its check of the writer's lock: where a writer
// that finishes its message races the check.
var staleProbe func(ID)

var errUnreadable = errors.New("mess file cannot be opened")

// claimStale returns mess/N open and locked when message id is debris
// (S2 or S3, no live writer or older than Ossified at now), else nil.
//
// The lock comes first and the state is read while it is held. Read the
// other way round, a message seen in S3 whose qmail-queue then links
// todo/N and exits looks unlocked, and its mess and intd would go while
// its todo/N stays queued for ever. While the lock is held no writer can
// be at work on inode N, so S2 or S3 cannot turn into S4; and while mess/N
// is open inode N cannot be given to a new message, so every file named N
// belongs to this one until the caller closes it.
func (q *Queue) claimStale(id ID, now time.Time) (*os.File, error) {
	f, err := rawsys.OpenOS(q.Mess(id), os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	if staleProbe != nil {
		staleProbe(id)
	}
	if lockFile(f, syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		fi, err := f.Stat()
		if err != nil || now.Sub(fi.ModTime()) <= Ossified {
			f.Close()
			return nil, nil
		}
	}
	// S2 or S3 is mess without todo and without info; intd/ is not
	// looked at, since qmail-send, running as qmails in the privileged
	// installation, may not search it (qmail's cleanup does the same).
	for _, p := range []string{q.Todo(id), q.Info(id)} {
		if ok, err := exists(p); err != nil || ok {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// CleanPid removes pid/ files older than Ossified at now, or older than
// PidGrace and not locked by a live qmail-queue, and says how many went.
func (q *Queue) CleanPid(now time.Time) (int, error) {
	dir := q.Path("pid")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		age := now.Sub(fi.ModTime())
		if age <= PidGrace || (age <= Ossified && Writing(filepath.Join(dir, e.Name()))) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}

func removeAll(paths ...string) error {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ErrInUse refuses a clean-up request for a message that is not debris:
// a live qmail-queue writes it, or it is queued. Such a request was made
// from an out-of-date look at the queue, or for an earlier message with
// the same inode number.
var ErrInUse = errors.New("message in use")

// RemoveMessage does qmail-clean's "foop" job: intd/N then mess/N go,
// but only while message N is in S2 or S3 with no live writer (see
// claimStale), which a finished message always is. Missing files are
// fine: a crash may have removed one already.
func (q *Queue) RemoveMessage(id ID) error {
	f, err := q.claimStale(id, time.Now())
	if errors.Is(err, fs.ErrPermission) {
		// In the privileged installation qmail-clean runs as qmailq and
		// may not look into qmail-send's info/, local/ and remote/, so the
		// state cannot be read: then, as qmail-clean always did, the
		// message goes when no qmail-queue holds its lock.
		return q.removeUnlocked(id)
	}
	if err != nil {
		return err
	}
	if f == nil {
		if ok, err := exists(q.Mess(id)); err != nil || !ok {
			return err
		}
		return ErrInUse
	}
	defer f.Close() // only now may inode N be reused
	return removeAll(q.Intd(id), q.Mess(id))
}

// removeUnlocked removes intd/N and mess/N when no live qmail-queue holds
// mess/N, keeping it open meanwhile so inode N cannot be reused.
func (q *Queue) removeUnlocked(id ID) error {
	f, err := os.Open(q.Mess(id))
	if errors.Is(err, fs.ErrNotExist) {
		// Without mess/N held open, an intd/N may already be a new
		// message's with the same inode number: leave it.
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if lockFile(f, syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return ErrInUse
	}
	return removeAll(q.Intd(id), q.Mess(id))
}

// RemoveTodo does qmail-clean's "todo" job once qmail-send has copied the
// envelope: intd/N then todo/N go, taking the message from S4 to S5.
//
// info/N must exist: a "todo" request late from a killed qmail-send's
// qmail-clean may name an earlier message with the same inode number, and
// the todo/N of a newer message not yet preprocessed must stay.
func (q *Queue) RemoveTodo(id ID) error {
	// qmail-clean as qmailq may not see info/ (privileged installation):
	// then the check is left out, as qmail never made it.
	if ok, err := exists(q.Info(id)); err != nil && !errors.Is(err, fs.ErrPermission) {
		return err
	} else if err == nil && !ok {
		if ok, err := exists(q.Todo(id)); err != nil || !ok {
			return err
		}
		return ErrInUse
	}
	if err := removeAll(q.Intd(id), q.Todo(id)); err != nil {
		return err
	}
	return durable.SyncDir(q.Path("todo"))
}
