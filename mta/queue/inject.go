package queue

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/rawsys"
)

// Step names the points of an injection after which the queue is in a
// new state; tests stop an injection there to play a crash.
type Step int

// The steps of Inject, in order.
const (
	StepPidOpened   Step = iota + 1 // pid/ file exists
	StepMessLinked                  // S2 begins: mess/S/N linked
	StepPidRemoved                  // pid/ file unlinked
	StepMessSynced                  // message and mess/S entry on disk
	StepIntdWritten                 // S3: intd/N complete and fsync'd
	StepTodoLinked                  // S4: todo/N linked, not yet durable
	StepTodoSynced                  // todo/ entry on disk: the message is queued
	lastStep
)

// Injector is one run of qmail-queue: who runs it and against which queue.
type Injector struct {
	Q      *Queue
	PID    int // process id named in the Received line and the pid file
	UID    int // real uid of the caller, recorded in the envelope
	Caller int // ByUID, ByAlias, FromNet or Bounce
	Now    func() time.Time
	// Scanner, when set, looks at each message before it is queued (QHPSI).
	Scanner *Scanner

	crashAfter Step // tests: stop without cleanup after this step
}

// errCrash stops an injection the way a crash would: no cleanup.
var errCrash = errors.New("crash injected")

// Inject queues the message read from msg with the envelope read from
// env, in qmail-queue's order, and wakes qmail-send. On failure it removes
// what it made and returns an *Error carrying the exit code.
func (in *Injector) Inject(msg, env io.Reader) (ID, error) {
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	w := &injection{Injector: in, start: now()}
	id, err := w.run(msg, env)
	if err != nil {
		if err == errCrash {
			// What a crash leaves: the files as they are, the lock gone.
			w.mess.Close()
			if w.intd != nil {
				w.intd.Close()
			}
			return 0, err
		}
		w.cleanup()
		return 0, err
	}
	in.pullTrigger()
	return id, nil
}

type injection struct {
	*Injector
	start              time.Time
	pidfn, messfn      string // pidfn "": the message was made unnamed
	intdfn             string
	mess, intd         *rawsys.File
	madeMess, madeIntd bool
	pidLinked          bool
	intdUnnamed        bool // intd is not yet linked as intdfn
}

// spreadSeq picks the split directory an unnamed file is made in, so
// that concurrent and successive messages land in different ones.
var spreadSeq atomic.Uint32

func (w *injection) spreadDir() string {
	n := spreadSeq.Add(1) + uint32(w.PID)
	return w.Q.Path("mess", strconv.Itoa(int(n%uint32(w.Q.Split))))
}

func (w *injection) step(s Step) error {
	if w.crashAfter == s {
		return errCrash
	}
	return nil
}

func (w *injection) run(msg, env io.Reader) (ID, error) {
	q := w.Q
	if err := w.openPid(); err != nil {
		return 0, err
	}
	if err := w.step(StepPidOpened); err != nil {
		return 0, err
	}
	st, err := w.mess.Stat()
	if err != nil {
		return 0, fail(ExitWrite, err)
	}
	id := ID(st.Ino)
	w.messfn = q.Mess(id)
	w.intdfn = q.Intd(id)
	if w.pidfn == "" {
		err = linkUnnamed(w.mess, w.messfn)
		if err != nil && procLinkFailed(err) {
			// /proc/self/fd does not work here after all: qmail's named
			// files, from now on and for this message.
			giveUpUnnamed()
			w.mess.Close()
			w.mess = nil
			return w.run(msg, env)
		}
	} else {
		err = rawsys.Link(w.pidfn, w.messfn)
	}
	if err != nil {
		return 0, fail(ExitMess, err)
	}
	w.madeMess = true
	if err := w.step(StepMessLinked); err != nil {
		return 0, err
	}
	if w.pidfn != "" {
		if err := os.Remove(w.pidfn); err != nil {
			return 0, fail(ExitPid, err)
		}
		w.pidLinked = false
	}
	if err := w.step(StepPidRemoved); err != nil {
		return 0, err
	}

	if err := w.writeMessage(msg); err != nil {
		return 0, err
	}
	if err := w.step(StepMessSynced); err != nil {
		return 0, err
	}
	if w.Scanner != nil {
		st, err := w.mess.Stat()
		if err != nil {
			return 0, fail(ExitWrite, err)
		}
		if err := w.Scanner.scan(w.messfn, st.Size); err != nil {
			return 0, fail(ExitRefused, err)
		}
	}

	if err := w.writeEnvelope(env); err != nil {
		return 0, err
	}
	if err := w.step(StepIntdWritten); err != nil {
		return 0, err
	}

	todofn := q.Todo(id)
	if err := rawsys.Link(w.intdfn, todofn); err != nil {
		return 0, fail(ExitTodo, err)
	}
	if err := w.step(StepTodoLinked); err != nil {
		return 0, err
	}
	if err := durable.SyncDir(filepath.Dir(todofn)); err != nil {
		// todo/N may or may not survive a crash now; removing it keeps
		// the promise that exit 0 alone means queued.
		os.Remove(todofn)
		return 0, fail(ExitTodo, err)
	}
	if err := w.step(StepTodoSynced); err != nil {
		return 0, err
	}
	w.mess.Close()
	w.intd.Close()
	return id, nil
}

// openPid makes qmail-queue's private file: unnamed where the system
// allows (createUnnamed), else in pid/, named so that two runs never
// collide: pid, start time, attempt.
func (w *injection) openPid() error {
	if f, ok := createUnnamed(w.spreadDir()); ok {
		w.mess = f
		if err := f.Flock(syscall.LOCK_EX | syscall.LOCK_NB); err != nil {
			return fail(ExitPid, err)
		}
		return nil
	}
	for seq := 1; seq < 10; seq++ {
		fn := w.Q.Path("pid", fmt.Sprintf("%d.%d.%d", w.PID, w.start.Unix(), seq))
		f, err := rawsys.OpenFile(fn, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			w.pidfn, w.mess, w.pidLinked = fn, f, true
			// The lock says "a live qmail-queue is writing this": recovery
			// removes an unfinished message at once when nobody holds it,
			// instead of waiting 36 hours. A crash drops it.
			if err := f.Flock(syscall.LOCK_EX | syscall.LOCK_NB); err != nil {
				return fail(ExitPid, err)
			}
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fail(ExitPid, err)
		}
	}
	return fail(ExitPid, errors.New("unable to make a unique pid file"))
}

// messBuf is writeMessage's and writeEnvelope's buffers, kept for the
// next message of a process that queues many (a reused qmail-smtpd)
// instead of 132 KiB of new memory each time.
type messBuf struct {
	w    *bufio.Writer
	read []byte
	env  *bufio.Reader // writeEnvelope's
}

var messBufs = sync.Pool{New: func() any {
	return &messBuf{w: bufio.NewWriterSize(nil, 64<<10), read: make([]byte, 64<<10), env: bufio.NewReader(nil)}
}}

func (w *injection) writeMessage(msg io.Reader) error {
	bufs := messBufs.Get().(*messBuf)
	defer messBufs.Put(bufs)
	bw, buf := bufs.w, bufs.read
	bw.Reset(w.mess)
	defer bw.Reset(nil) // the pool keeps no file
	bw.WriteString(Received(w.PID, w.UID, w.Caller, w.start))
	for {
		n, rerr := msg.Read(buf)
		if n > 0 {
			if _, err := bw.Write(buf[:n]); err != nil {
				return fail(ExitWrite, err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return readFail(rerr)
		}
	}
	if err := bw.Flush(); err != nil {
		return fail(ExitWrite, err)
	}
	if err := w.mess.Sync(); err != nil {
		return fail(ExitWrite, err)
	}
	if err := durable.SyncDir(filepath.Dir(w.messfn)); err != nil {
		return fail(ExitMess, err)
	}
	return nil
}

func (w *injection) writeEnvelope(env io.Reader) error {
	f, unnamed := createUnnamed(w.spreadDir())
	if !unnamed {
		var err error
		if f, err = rawsys.OpenFile(w.intdfn, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
			return fail(ExitIntd, err)
		}
	}
	w.intd, w.madeIntd, w.intdUnnamed = f, true, unnamed
	bufs := messBufs.Get().(*messBuf)
	defer messBufs.Put(bufs)
	bw, br := bufs.w, bufs.env
	bw.Reset(errWriter{f})
	br.Reset(env)
	defer func() { bw.Reset(nil); br.Reset(nil) }() // the pool keeps no file
	bw.WriteString("u" + strconv.Itoa(w.UID) + "\x00")
	bw.WriteString("p" + strconv.Itoa(w.PID) + "\x00")
	_, _, err := CopyEnvelope(bw, br)
	if err != nil {
		var we writeError
		switch {
		case errors.As(err, &we):
			return fail(ExitWrite, we.err)
		case err == ErrAddrTooLong:
			return fail(ExitAddrTooLong, err)
		case err == ErrEnvelopeFormat:
			return fail(ExitEnvelope, err)
		case err == ErrEnvelopeEOF:
			return fail(ExitRead, err)
		}
		return readFail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(ExitWrite, err)
	}
	if err := f.Sync(); err != nil {
		return fail(ExitWrite, err)
	}
	if unnamed {
		// Named only now, complete and on disk: intd/N never holds a
		// partial envelope.
		if err := linkUnnamed(f, w.intdfn); err != nil {
			return fail(ExitIntd, err)
		}
		w.intdUnnamed = false
	}
	return nil
}

// errWriter marks write errors so that they are not taken for read
// errors of the envelope copied at the same time.
type errWriter struct{ w io.Writer }

type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

func (e errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		err = writeError{err}
	}
	return n, err
}

func readFail(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fail(ExitTimeout, err)
	}
	return fail(ExitRead, err)
}

// cleanup undoes a failed injection: the files are emptied first so
// that their space comes back even if another link remains. The lock (on
// the pid file's descriptor) goes last: once it is free, recovery may
// remove mess/N and a new message may get inode N, and a name unlinked
// after that would be the new message's.
func (w *injection) cleanup() {
	if w.madeIntd {
		w.intd.Truncate(0)
		if !w.intdUnnamed {
			os.Remove(w.intdfn)
		}
		w.intd.Close()
	}
	if w.mess != nil {
		w.mess.Truncate(0)
	}
	if w.madeMess {
		os.Remove(w.messfn)
	}
	if w.pidLinked {
		os.Remove(w.pidfn)
	}
	if w.mess != nil {
		w.mess.Close()
	}
}

// pullTrigger wakes qmail-send if it listens; nobody listening is fine.
func (in *Injector) pullTrigger() { PullTrigger(in.Q) }

// PullTrigger writes one byte to lock/trigger without blocking. The
// descriptor is a bare one (package rawsys), not an *os.File, which
// would be added to the runtime's poller and taken out again for one
// write per message.
func PullTrigger(q *Queue) {
	f, err := rawsys.OpenFile(q.Trigger(), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	f.Write([]byte{0})
	f.Close()
}
