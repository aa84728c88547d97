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
		if err != nil {
			s.log.line("warning: unable to scan todo: " + Safe(err.Error()))
		}
		if !s.todoPass(ids, stop) {
			return
		}
		select {
		case <-wake:
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

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
					s.log.line("warning: trouble with todo/" + id.String() + ": " + Safe(err.Error()))
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

// preprocess takes message id from S4 to S5: it routes the recipients,
// writes info, local and remote (each fsync'd, then their directories),
// and has qmail-clean remove intd and todo. Until todo is gone a crash
// just makes it start over.
func (s *Sender) preprocess(id queue.ID) (*message, error) {
	q := s.Q
	b, err := os.ReadFile(q.Todo(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.log.line("new msg " + id.String())
	t, err := queue.ParseTodo(b)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(q.Mess(id))
	if err != nil {
		return nil, err
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
		return nil, err
	}
	// The message in memory is made from the bytes written, exactly as
	// loadMessage would read it back after a restart.
	m := &message{id: id}
	files := [2]string{Local: q.Local(id), Remote: q.Remote(id)}
	changed := []string{q.Info(id)}
	for ch, l := range lists {
		if len(l) == 0 {
			// Only a leftover of an earlier attempt needs removing.
			if _, err := os.Lstat(files[ch]); err != nil {
				continue
			}
			err = removeSync(files[ch], false)
		} else {
			b := queue.FormatRecips(l)
			err = writeSync(files[ch], b)
			m.r[ch] = rcptsOf(b)
		}
		if err != nil {
			return nil, err
		}
		changed = append(changed, files[ch])
	}
	info := append(append([]byte{'F'}, t.Sender...), 0)
	if m.birth, err = writeSyncStat(q.Info(id), info, true); err != nil {
		return nil, err
	}
	m.sender, _ = queue.ParseInfo(info)
	for _, f := range changed {
		if err := durable.SyncDir(filepath.Dir(f)); err != nil {
			return nil, err
		}
	}
	s.log.line("info msg " + id.String() + ": bytes " + itoa(int(fi.Size())) + " from <" + Safe(t.Sender) + "> qp " + t.PID + " uid " + t.UID)
	if s.crashAt(stepPreprocessed) {
		return nil, errCrash
	}
	if err := s.clean.do("todo", id); err != nil {
		return nil, err
	}
	return m, nil
}
