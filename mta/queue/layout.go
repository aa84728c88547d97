package queue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/rawsys"
	"github.com/quail-mta/quail/internal/spread"
)

// DefaultSplit is qmail's conf-split: the number of subdirectories of
// mess/, info/, local/ and remote/.
const DefaultSplit = 23

// MaxSplit bounds the split a queue may be made with.
const MaxSplit = 1000

// Queue is one qmail queue directory.
type Queue struct {
	Dir   string // e.g. /var/qmail/queue
	Split int
}

// ID is a message number: the inode of its mess file.
type ID uint64

func (id ID) String() string { return strconv.FormatUint(uint64(id), 10) }

// ParseID reads a message number written in decimal.
func ParseID(s string) (ID, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return ID(n), err == nil
}

// Dir returns the queue directory of a qmail home.
func Dir(home string) string { return filepath.Join(home, "queue") }

// Open finds the queue of a qmail home and its split.
func Open(home string) (*Queue, error) {
	q := &Queue{Dir: Dir(home)}
	mess := filepath.Join(q.Dir, "mess")
	// The split is read once per mess/ directory a process sees: a
	// process queueing message after message (a reused qmail-smtpd) then
	// pays one stat per message instead of reading mess/. Subdirectories
	// come and go only when the queue is made again, which changes
	// mess/'s modification time or makes it another directory.
	fi, err := rawsys.Stat(mess)
	if err != nil {
		return nil, err
	}
	splits.Lock()
	known, ok := splits.m[mess]
	splits.Unlock()
	if ok && sameState(known.dir, fi) {
		q.Split = known.split
		return q, nil
	}
	splitReads.Add(1)
	ents, err := os.ReadDir(mess)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if n, ok := ParseID(e.Name()); ok && e.IsDir() && int(n)+1 > q.Split {
			q.Split = int(n) + 1
		}
	}
	if q.Split == 0 {
		return nil, fmt.Errorf("unable to read split of %s: mess/ has no subdirectory", q.Dir)
	}
	// A directory changed in the last moments may change again within
	// the same timestamp (the filesystem's clock is coarse): counted
	// again next time.
	if time.Since(changed(fi)) > 2*time.Second {
		splits.Lock()
		if splits.m == nil {
			splits.m = map[string]knownSplit{}
		}
		splits.m[mess] = knownSplit{fi, q.Split}
		splits.Unlock()
	}
	return q, nil
}

// sameState reports whether two stats of a directory show it unchanged:
// the same inode, modification and change times.
func sameState(a, b os.FileInfo) bool {
	sa, oka := a.Sys().(*syscall.Stat_t)
	sb, okb := b.Sys().(*syscall.Stat_t)
	return oka && okb && sa.Dev == sb.Dev && sa.Ino == sb.Ino &&
		a.ModTime().Equal(b.ModTime()) && changed(a).Equal(changed(b))
}

// changed is the inode's change time, which no program can set back.
func changed(fi os.FileInfo) time.Time {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Now() // unknown: never old enough to keep
	}
	return time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
}

type knownSplit struct {
	dir   os.FileInfo // mess/ when its subdirectories were counted
	split int
}

// splitReads counts the times Open read mess/ (for tests).
var splitReads atomic.Int32

var splits struct {
	sync.Mutex
	m map[string]knownSplit
}

func (q *Queue) split(kind string, id ID) string {
	return filepath.Join(q.Dir, kind, strconv.FormatUint(uint64(id)%uint64(q.Split), 10), id.String())
}

func (q *Queue) flat(kind string, id ID) string {
	return filepath.Join(q.Dir, kind, id.String())
}

// Mess is the message file of id.
func (q *Queue) Mess(id ID) string { return q.split("mess", id) }

// Info is the sender file of id.
func (q *Queue) Info(id ID) string { return q.split("info", id) }

// Local is the local recipient list of id.
func (q *Queue) Local(id ID) string { return q.split("local", id) }

// Remote is the remote recipient list of id.
func (q *Queue) Remote(id ID) string { return q.split("remote", id) }

// Intd is the envelope of id while qmail-queue writes it.
func (q *Queue) Intd(id ID) string { return q.flat("intd", id) }

// Todo is the complete envelope of id before qmail-send has read it.
func (q *Queue) Todo(id ID) string { return q.flat("todo", id) }

// Bounce is the failure report file of id.
func (q *Queue) Bounce(id ID) string { return q.flat("bounce", id) }

// Path returns a file of the queue by its name relative to the queue.
func (q *Queue) Path(rel ...string) string {
	return filepath.Join(append([]string{q.Dir}, rel...)...)
}

// Trigger is the FIFO that wakes qmail-send.
func (q *Queue) Trigger() string { return q.Path("lock", "trigger") }

// ToolFIFO is the FIFO through which the queue tool asks qmail-send to
// act on a message.
func (q *Queue) ToolFIFO() string { return q.Path("lock", "qtool") }

// SendMutex is the file qmail-send holds locked while it runs.
func (q *Queue) SendMutex() string { return q.Path("lock", "sendmutex") }

// Owners says who owns the parts of a queue, as qmail's install does:
// qmailq owns what qmail-queue writes, qmails what qmail-send writes,
// qmailr the tcpto table (and quail's MTA-STS cache), all in group qmail. A negative id keeps the
// creating user's.
type Owners struct {
	UIDQ, UIDS, UIDR, GID int
}

// Self is the Owners value for a queue owned by the user making it.
var Self = Owners{-1, -1, -1, -1}

type part struct {
	name  string
	mode  os.FileMode
	owner func(o Owners) int
	split bool
	fifo  bool
	file  bool
}

func ownerQ(o Owners) int { return o.UIDQ }
func ownerS(o Owners) int { return o.UIDS }
func ownerR(o Owners) int { return o.UIDR }

// parts lists the queue's directories and files with qmail's modes.
var parts = []part{
	{name: "pid", mode: 0o700, owner: ownerQ},
	{name: "intd", mode: 0o700, owner: ownerQ},
	{name: "todo", mode: 0o750, owner: ownerQ},
	{name: "mess", mode: 0o750, owner: ownerQ, split: true},
	{name: "info", mode: 0o700, owner: ownerS, split: true},
	{name: "local", mode: 0o700, owner: ownerS, split: true},
	{name: "remote", mode: 0o700, owner: ownerS, split: true},
	{name: "bounce", mode: 0o700, owner: ownerS},
	{name: "lock", mode: 0o750, owner: ownerQ},
	{name: "lock/tcpto", mode: 0o644, owner: ownerR, file: true},
	{name: "lock/tcpto6", mode: 0o644, owner: ownerR, file: true}, // quail: IPv6 hosts
	{name: "lock/mtasts", mode: 0o755, owner: ownerR},             // quail: qmail-remote's MTA-STS policies
	{name: "lock/sendmutex", mode: 0o600, owner: ownerS, file: true},
	{name: "lock/trigger", mode: 0o622, owner: ownerS, fifo: true},
	{name: "lock/qtool", mode: 0o600, owner: ownerS, fifo: true},
}

// Create makes the queue of a qmail home with the given split, or
// completes one left half-made; existing parts are kept as they are. The
// home must exist.
func Create(home string, split int, o Owners) (*Queue, error) {
	if split < 1 || split > MaxSplit {
		return nil, fmt.Errorf("split %d out of range 1-%d", split, MaxSplit)
	}
	q := &Queue{Dir: Dir(home), Split: split}
	if err := mkdir(q.Dir, 0o750, o.UIDQ, o.GID); err != nil {
		return nil, err
	}
	spread.Subdirs(q.Dir)
	for _, p := range parts {
		path := q.Path(p.name)
		var err error
		switch {
		case p.fifo:
			err = mkfifo(path, p.mode, p.owner(o), o.GID)
		case p.file:
			err = mkfile(path, p.mode, p.owner(o), o.GID)
		default:
			err = mkdir(path, p.mode, p.owner(o), o.GID)
		}
		if err != nil {
			return nil, err
		}
		if p.split {
			spread.Subdirs(path)
		}
		for i := 0; p.split && i < split; i++ {
			if err := mkdir(filepath.Join(path, strconv.Itoa(i)), p.mode, p.owner(o), o.GID); err != nil {
				return nil, err
			}
		}
	}
	if err := durable.SyncDir(home); err != nil {
		return nil, err
	}
	return q, durable.SyncDir(q.Dir)
}

func mkdir(path string, mode os.FileMode, uid, gid int) error {
	err := os.Mkdir(path, mode)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return fixup(path, mode, uid, gid)
}

func mkfile(path string, mode os.FileMode, uid, gid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fixup(path, mode, uid, gid)
}

func mkfifo(path string, mode os.FileMode, uid, gid int) error {
	err := syscall.Mkfifo(path, uint32(mode))
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "mkfifo", Path: path, Err: err}
	}
	return fixup(path, mode, uid, gid)
}

// fixup sets the mode the umask may have cut and the owners.
func fixup(path string, mode os.FileMode, uid, gid int) error {
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	if uid >= 0 || gid >= 0 {
		return os.Lchown(path, uid, gid)
	}
	return nil
}
