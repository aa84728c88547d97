package send

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/rawsys"
	"github.com/quail-mta/quail/mta/queue"
)

// SleepTodo is how often todo/ is scanned without a trigger.
const SleepTodo = 25 * time.Minute

// todoLoop preprocesses todo/ in its own goroutine, the way the
// ext_todo patch's qmail-todo does in its own process: a burst of new
// mail then never holds up the delivery loop (the "silly qmail
// syndrome"), and the delivery loop never holds up the intake.
func (s *Sender) todoLoop(wake <-chan struct{}, stop <-chan struct{}) {
	tick := time.NewTicker(SleepTodo)
	defer tick.Stop()
	for {
		ids, err := s.Q.Todos()
		var pause <-chan time.Time
		if err != nil {
			// As qmail-send's pausedir: look again in 10 seconds.
			s.log.line(alertOpendirTodo)
			pause = time.After(SleepPause)
		}
		if !s.todoPass(ids, stop) {
			return
		}
		select {
		case <-wake:
		case <-tick.C:
		case <-pause:
		case <-stop:
			return
		}
	}
}

// SleepPause is how long qmail-send waits before it looks again at a
// directory it could not read.
const SleepPause = 10 * time.Second

// TodoWorkers is how many messages are preprocessed at once. Each one
// waits for several fsyncs; running a few side by side lets the file
// system commit them together.
const TodoWorkers = 4

// todoPass preprocesses the listed messages and hands them to the
// delivery loop; it returns once all are done (so that no message is
// ever preprocessed twice at once), or false when qmail-send stops.
func (s *Sender) todoPass(ids []queue.ID, stop <-chan struct{}) bool {
	jobs := make(chan queue.ID)
	var wg sync.WaitGroup
	var stopped atomic.Bool
	for w := 0; w < min(TodoWorkers, len(ids)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				if stopped.Load() {
					continue // drain, so the sender never blocks
				}
				m, err := s.preprocess(id)
				if err == errCrash {
					stopped.Store(true)
					s.lostc <- errCrash
					continue
				}
				if err != nil {
					var t trouble
					if errors.As(err, &t) {
						s.log.line(string(t))
					}
					// Otherwise qmail-clean is gone or qmail-send is
					// ending: the main loop knows.
					continue
				}
				if m != nil {
					select {
					case s.newc <- m:
					case <-stop:
						stopped.Store(true)
					}
				}
			}
		}()
	}
	for _, id := range ids {
		if stopped.Load() {
			break
		}
		select {
		case jobs <- id:
		case <-stop:
			close(jobs)
			wg.Wait()
			return false
		}
	}
	close(jobs)
	wg.Wait()
	return !stopped.Load()
}

// maxTodo bounds what is read of a todo file, far beyond any envelope
// (a million recipients of a thousand bytes); a longer one is cut and
// then refused as malformed.
const maxTodo = 1 << 30

// preprocess takes message id from S4 to S5: it routes the recipients,
// writes info, local and remote (each fsync'd, then their directories),
// and has qmail-clean remove intd and todo. Until todo is gone a crash
// just makes it start over.
//
// A message with at most one recipient, in a queue qmail-send removes
// files from itself, is delivered straight from todo/ instead (see
// writeDown): its state is written only if the delivery does not
// succeed. It returns nil for a message already in delivery that way.
func (s *Sender) preprocess(id queue.ID) (*message, error) {
	q := s.Q
	if s.unwritten.skip(id) {
		return nil, nil
	}
	todo := "todo/" + id.String()
	b, err := rawsys.ReadFile(q.Todo(id), maxTodo)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, trouble(warnTodo("unable to open", todo))
	}
	s.order.Lock()
	s.log.line(lineNewMsg(id))
	s.order.Unlock()
	t, err := queue.ParseTodo(b)
	if err != nil {
		return nil, trouble(warnTodo("trouble reading", todo))
	}
	fi, err := os.Stat(q.Mess(id))
	if err != nil {
		return nil, trouble(warnTodo("unable to stat", s.queueName(q.Mess(id))))
	}
	cfg := s.cfg.Load()
	var lists [2][]string
	for _, r := range t.Recips {
		ch, addr := cfg.Router.Route(r)
		lists[ch] = append(lists[ch], addr)
	}
	// A bounce file cannot belong to a message still in todo: any found is
	// debris of an older message with the same inode.
	if err := removeSync(q.Bounce(id), true); err != nil {
		return nil, trouble(warnTodo("unable to unlink", "bounce/"+id.String()))
	}
	info := append(append([]byte{'F'}, t.Sender...), 0)
	m := &message{id: id}
	m.sender, _ = queue.ParseInfo(info)
	infoLine := lineInfoMsg(id, fi.Size(), t.Sender, t.PID, t.UID)
	if s.mayLeaveUnwritten(id, len(t.Recips)) {
		m.unwritten = true
		m.birth = s.now()
		for ch, l := range lists {
			for _, a := range l {
				m.r[ch] = append(m.r[ch], &rcpt{Recip: queue.Recip{Addr: a}})
			}
		}
		s.log.line(infoLine)
		return m, nil
	}
	if err := s.writeState(m, lists, info, time.Time{}); err != nil {
		var ft *fileTrouble
		if errors.As(err, &ft) {
			return nil, trouble(warnTodo(ft.trouble, s.queueName(ft.path)))
		}
		return nil, err
	}
	s.log.line(infoLine)
	if s.crashAt(stepPreprocessed) {
		return nil, errCrash
	}
	if err := s.clean.do("todo", id); err != nil {
		if err == errCleanRefused {
			return nil, trouble(warnCleanUp(todo))
		}
		return nil, err
	}
	return m, nil
}

// mayLeaveUnwritten says whether message id, with n recipients, is
// delivered straight from todo/, and if so counts it in. Only where
// qmail-send removes todo/N itself, only with at most one recipient (no
// delivery of it can be done while another is yet to do), and not while
// an info/N is left from an earlier run's preprocessing of it, which
// would outlive the message.
func (s *Sender) mayLeaveUnwritten(id queue.ID, n int) bool {
	if s.clean.self == nil || n > 1 {
		return false
	}
	if _, err := os.Lstat(s.Q.Info(id)); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	limit := s.maxUnwritten
	if limit == 0 {
		limit = MaxUnwritten
	}
	return s.unwritten.add(id, limit)
}

// writeState writes info, local and remote for message m (each
// fsync'd, then their directories) from the routed lists and the info
// file's contents, and fills in m's recipients and birth from the bytes
// written, exactly as loadMessage would read them back after a restart.
// A recipient already done in m is written done. With birth set, the
// info file is given that time, which a restart takes the birth from.
func (s *Sender) writeState(m *message, lists [2][]string, info []byte, birth time.Time) error {
	q := s.Q
	id := m.id
	files := [2]string{Local: q.Local(id), Remote: q.Remote(id)}
	changed := []string{q.Info(id)}
	for ch, l := range lists {
		var err error
		if len(l) == 0 {
			// Only a leftover of an earlier attempt needs removing.
			if _, err := os.Lstat(files[ch]); err != nil {
				continue
			}
			if err = removeSync(files[ch], false); err != nil {
				err = &fileTrouble{"unable to unlink", files[ch], err}
			}
		} else {
			b := queue.FormatRecips(l)
			rs := rcptsOf(b)
			if len(m.r[ch]) != len(rs) {
				m.r[ch] = rs
			} else {
				// The recipients in memory, which jobs point to, learn
				// where they are in the file.
				for i, r := range m.r[ch] {
					if r.state == done {
						b[rs[i].Offset] = 'D'
						rs[i].Done = true
					}
					r.Recip = rs[i].Recip
				}
			}
			err = writeSync(files[ch], b)
		}
		if err != nil {
			return err
		}
		changed = append(changed, files[ch])
	}
	var err error
	if m.birth, err = writeSyncStat(q.Info(id), info, birth); err != nil {
		return err
	}
	for _, f := range changed {
		if err := durable.SyncDir(filepath.Dir(f)); err != nil {
			return &fileTrouble{"trouble fsyncing", filepath.Dir(f), err}
		}
	}
	return nil
}

// writeDown takes a message delivered straight from todo/ into S5, as
// preprocessing would have, when a delivery of it did not succeed: its
// state must now outlive qmail-send. The birth stays the one the message
// had in memory.
func (s *Sender) writeDown(m *message) error {
	var lists [2][]string
	for ch, rs := range m.r {
		for _, r := range rs {
			lists[ch] = append(lists[ch], r.Addr)
		}
	}
	info := append(append([]byte{'F'}, m.sender...), 0)
	if err := s.writeState(m, lists, info, m.birth); err != nil {
		return err
	}
	if s.crashAt(stepPreprocessed) {
		return errCrash
	}
	if err := s.clean.do("todo", m.id); err != nil {
		return err
	}
	m.unwritten = false
	s.unwritten.remove(m.id)
	return nil
}

// MaxUnwritten bounds the messages in delivery straight from todo/ at
// once. Each todo/ scan lists them again, so a long backlog of them would
// make every scan long; messages beyond the bound are preprocessed.
const MaxUnwritten = 1000

// unwrittenSet holds the ids of messages in delivery straight from todo/:
// their todo/N stays until they are finished, and the todo goroutine must
// not take them in again meanwhile. An id leaves the set once todo/N is
// gone and before mess/N is, so no new message can have taken inode N
// while the id is in the set.
type unwrittenSet struct {
	mu  sync.Mutex
	ids map[queue.ID]struct{}
}

// add puts id in the set unless it holds limit ids already.
func (u *unwrittenSet) add(id queue.ID, limit int) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.ids) >= limit {
		return false
	}
	if u.ids == nil {
		u.ids = map[queue.ID]struct{}{}
	}
	u.ids[id] = struct{}{}
	return true
}

func (u *unwrittenSet) skip(id queue.ID) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.ids[id]
	return ok
}

func (u *unwrittenSet) remove(id queue.ID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.ids, id)
}
