// Package send implements qmail-send(8), the heart of the MTA: it takes
// new messages from the queue's todo/ directory, routes each recipient to
// the local or the remote channel (control/locals, virtualdomains,
// percenthack), hands deliveries to qmail-lspawn and qmail-rspawn,
// retries deferred ones on qmail's schedule until queuelifetime, sends
// bounces in QSBMF, and has qmail-clean remove the files it may not. It
// logs in qmail-log(5)'s format. The queue's states and what a restart
// does in each are in package mta/queue. qmail-start(8), which sets up
// the daemons and their pipes, is here too.
package send

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/spawn"
)

// Sender is one run of qmail-send.
type Sender struct {
	Q         *queue.Queue
	Home      string
	Reload    func() (*Config, error) // rereads the control files (SIGHUP)
	QueueProg string                  // qmail-queue, for bounces
	QueueEnv  []string                // its environment; nil: ours
	Now       func() time.Time

	cfg    atomic.Pointer[Config]
	log    *logger
	spawnW [2]io.Writer
	clean  *cleaner
	// toRemove takes the ids of finished messages to removeFinished.
	toRemove chan queue.ID
	newc     chan *message
	repc     chan reply
	lostc    chan error
	msgs     map[queue.ID]*message
	// order keeps a bounce's "new msg" after its message's "end msg".
	order sync.Mutex
	// reload holds messages whose files could not be read at start, and
	// when to try again.
	reload map[queue.ID]time.Time
	// unwritten is what the todo goroutine must pass over.
	unwritten    unwrittenSet
	maxUnwritten int // tests; 0: MaxUnwritten
	chans        [2]*channel
	timer        *time.Timer
	wakeAt       time.Time
	stopped      bool
	crash        step // tests: stop dead at this step
	// cleanViaProgram (tests) sends every request to qmail-clean even
	// where qmail-send could remove the files itself.
	cleanViaProgram bool
	crashed         bool
	// masterDelID numbers deliveries in the log, across both channels and
	// never reused while qmail-send runs, as qmail-log(5) tools expect.
	masterDelID int
	wake        chan struct{}
}

type reply struct {
	ch Channel
	spawn.Reply
}

type job struct {
	m     *message
	r     *rcpt
	delid int // the number the log knows the delivery by
}

type channel struct {
	conc    int
	active  map[int]job
	pending []job
}

// Links are the descriptors qmail-send talks through.
type Links struct {
	Log               io.Writer
	LspawnW, RspawnW  io.Writer
	LspawnR, RspawnR  io.Reader
	CleanW            io.Writer
	CleanR            io.Reader
	Trigger, ToolFIFO string // FIFOs to listen on; "" for none
	Signals           <-chan os.Signal
}

type step int

const (
	stepNone step = iota
	stepPreprocessed
	stepReplied
	stepMarked
	stepBounceQueued
	stepFilesRemoved
)

var errCrash = errors.New("crash injected")

func (s *Sender) crashAt(st step) bool { return s.crash != stepNone && s.crash == st }

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// errLost ends qmail-send when a daemon it needs went away: qmail-clean,
// or a spawn daemon.
type errLost struct {
	clean bool
	err   error
}

func (e errLost) Error() string { return e.err.Error() }

// alert is the line qmail-send logs when the daemon went away.
func (e errLost) alert() string {
	if e.clean {
		return alertLostClean
	}
	return alertLostSpawn
}

// Run is qmail-send's main loop. It returns nil after SIGTERM once the
// deliveries under way are over, or an error if a daemon it talks to
// went away.
func (s *Sender) Run(cfg *Config, l Links) error {
	s.cfg.Store(cfg)
	s.log = &logger{w: l.Log}
	s.spawnW = [2]io.Writer{l.LspawnW, l.RspawnW}
	s.newc = make(chan *message)
	s.repc = make(chan reply, 64)
	s.lostc = make(chan error, 4)
	s.msgs = map[queue.ID]*message{}
	lost := func(err error) {
		select {
		case s.lostc <- err:
		default:
		}
	}
	s.clean = &cleaner{w: l.CleanW, r: bufio.NewReader(l.CleanR), lost: lost}
	if !s.cleanViaProgram && removesItself(s.Q) {
		s.clean.self = s.Q
		// qmail-clean still runs (it removes pid/ debris) and, unasked,
		// never writes: an end or a byte means it is gone or confused.
		go func() {
			if _, err := s.clean.r.ReadByte(); err != nil {
				lost(errLost{clean: true, err: fmt.Errorf("qmail-clean: %w", err)})
			} else {
				lost(errLost{clean: true, err: errors.New("qmail-clean: answer to no request")})
			}
		}()
	}
	defer s.clean.ended.Store(true)
	s.toRemove = make(chan queue.ID, 1024)
	cleaned := make(chan struct{})
	go s.removeFinished(cleaned)
	defer func() { close(s.toRemove); <-cleaned }()
	for ch := range s.chans {
		s.chans[ch] = &channel{conc: cfg.Concurrency[ch], active: map[int]job{}}
	}
	s.timer = time.NewTimer(time.Hour)
	s.wakeAt = s.now().Add(time.Hour)
	cleanup := time.NewTicker(SleepCleanup)
	defer cleanup.Stop()

	stop := make(chan struct{})
	defer close(stop)
	for ch, r := range []io.Reader{l.LspawnR, l.RspawnR} {
		go s.readReplies(Channel(ch), r, lost)
	}
	// The FIFOs are open before todo/ is first scanned, so that a message
	// queued in between finds a reader for its trigger.
	wake := make(chan struct{}, 1)
	s.wake = wake
	if l.Trigger != "" {
		f, err := os.OpenFile(l.Trigger, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		go listenTrigger(f, stop, s.pokeTodo)
	}
	toolc := make(chan string, 16)
	if l.ToolFIFO != "" {
		f, err := os.OpenFile(l.ToolFIFO, os.O_RDWR, 0)
		if err != nil {
			// A queue made before lock/qtool existed still works; only
			// qmail-qtool's requests go unheard.
			s.log.line(warnQtoolFIFO)
		} else {
			go listenTool(f, stop, func(line string) {
				select {
				case toolc <- line:
				case <-stop:
				}
			})
		}
	}

	if err := s.recover(); err != nil {
		return err
	}
	go s.todoLoop(wake, stop)
	s.status()

	for {
		if s.crashed {
			return errCrash
		}
		if err := s.dispatch(); err != nil {
			return err
		}
		if s.stopped && s.active() == 0 {
			s.log.line(lineExiting)
			return nil
		}
		select {
		case m := <-s.newc:
			s.add(m)
		case r := <-s.repc:
			if err := s.handle(r); err != nil {
				return err
			}
		case <-s.timer.C:
			s.wakeAt = time.Time{}
			s.due()
		case <-cleanup.C:
			s.cleanStale()
		case sig := <-l.Signals:
			s.signal(sig)
		case line := <-toolc:
			s.tool(line)
		case err := <-s.lostc:
			var el errLost
			if !errors.As(err, &el) {
				return err // errCrash
			}
			s.log.line(el.alert())
			return el
		}
	}
}

func (s *Sender) readReplies(ch Channel, r io.Reader, lost func(error)) {
	br := bufio.NewReader(r)
	for {
		rep, err := spawn.ReadReply(br)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			lost(errLost{err: errors.New("qmail-" + map[Channel]string{Local: "lspawn", Remote: "rspawn"}[ch] + ": " + err.Error())})
			return
		}
		s.repc <- reply{ch, rep}
	}
}

// listenTrigger reads lock/trigger, held open for writing too so that
// it never sees end of file; whatever arrives is a wake-up. Anyone may
// write there (mode 0622), so nothing read is interpreted.
func listenTrigger(f *os.File, stop <-chan struct{}, poke func()) {
	go func() { <-stop; f.Close() }()
	buf := make([]byte, 512)
	for {
		n, err := f.Read(buf)
		if err != nil {
			return
		}
		if n > 0 {
			poke()
		}
	}
}

// maxToolLine bounds a request on lock/qtool; longer lines are dropped.
const maxToolLine = 256

// listenTool reads newline-ended requests from lock/qtool.
func listenTool(f *os.File, stop <-chan struct{}, got func(string)) {
	go func() { <-stop; f.Close() }()
	r := bufio.NewReaderSize(f, maxToolLine)
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			return
		}
		got(string(line[:len(line)-1]))
	}
}

// pokeTodo makes the todo goroutine scan todo/ again.
func (s *Sender) pokeTodo() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Sender) active() int { return len(s.chans[Local].active) + len(s.chans[Remote].active) }

// recover loads what a previous run left: stale S2/S3 messages go,
// messages in S5 resume; those in S4 are the todo goroutine's.
func (s *Sender) recover() error {
	if err := s.cleanStale(); err != nil {
		return err
	}
	todos, err := s.Q.Todos()
	if err != nil {
		return err
	}
	inTodo := map[queue.ID]bool{}
	for _, id := range todos {
		inTodo[id] = true
	}
	infos, err := s.Q.Infos()
	if err != nil {
		return err
	}
	for _, id := range infos {
		if !inTodo[id] {
			s.load(id)
		}
	}
	return nil
}

// SleepSysfail is how long a message whose files could not be read
// waits before qmail-send tries again (qmail-send.c's SLEEP_SYSFAIL).
const SleepSysfail = 123 * time.Second

// load takes a message in S5 into delivery from its files, or, if they
// cannot be read, tries again after SleepSysfail, as qmail-send does.
func (s *Sender) load(id queue.ID) {
	m, err := loadMessage(s.Q, id)
	if err == nil {
		s.add(m)
		return
	}
	var le *loadError
	if errors.As(err, &le) && !le.info {
		s.log.line(warnReadingLater(s.queueName(le.path)))
	} else {
		s.log.line(warnStatLater(s.queueName(s.Q.Info(id))))
	}
	if s.reload == nil {
		s.reload = map[queue.ID]time.Time{}
	}
	t := s.now().Add(SleepSysfail)
	s.reload[id] = t
	s.wakeBy(t)
}

// SleepCleanup is how often messages a dead qmail-queue left (S2, S3
// without its lock, or older than 36 hours) are looked for. qmail, which
// can only go by age, looks every 76431 seconds.
const SleepCleanup = 10 * time.Minute

// cleanStale has qmail-clean remove what crashes left behind.
func (s *Sender) cleanStale() error {
	stale, err := s.Q.Stale(s.now())
	if err != nil {
		s.log.line(warnStale)
		return err
	}
	for _, id := range stale {
		if s.clean.do("foop", id) == errCleanRefused {
			s.log.line(warnCleanUp("foop/" + id.String()))
		}
	}
	return nil
}

// add takes a message into delivery: every channel with work is due at
// the time recorded for it (a message read back at start), or now.
func (s *Sender) add(m *message) {
	s.msgs[m.id] = m
	any := false
	for ch := range m.r {
		if m.left(Channel(ch)) == 0 {
			m.next[ch] = time.Time{}
		} else {
			t := m.next[ch]
			if t.IsZero() {
				t = s.now()
			}
			s.schedule(m, Channel(ch), t)
			any = true
		}
	}
	if !any {
		s.messDone(m)
	}
}

func (s *Sender) schedule(m *message, ch Channel, t time.Time) {
	if !t.After(s.now()) {
		s.startRound(m, ch)
		return
	}
	m.next[ch] = t
	s.wakeBy(t)
}

func (s *Sender) wakeBy(t time.Time) {
	if !s.wakeAt.IsZero() && !t.Before(s.wakeAt) {
		return
	}
	s.wakeAt = t
	if !s.timer.Stop() {
		select {
		case <-s.timer.C:
		default:
		}
	}
	s.timer.Reset(max(time.Until(t), 0))
}

// startRound lists every recipient of the channel still to do. The
// retry after a deferral in this round is reckoned from now, as
// qmail-send reckons it when it opens the job.
func (s *Sender) startRound(m *message, ch Channel) {
	m.next[ch] = time.Time{}
	m.retry[ch] = NextRetry(m.birth, s.now(), ch)
	m.deferred[ch] = false
	c := s.chans[ch]
	for _, r := range m.r[ch] {
		if r.state == pending {
			c.pending = append(c.pending, job{m: m, r: r})
			m.queued[ch]++
		}
	}
}

// due starts the rounds whose time has come and sets the next wake-up.
func (s *Sender) due() {
	now := s.now()
	var next time.Time
	for id, t := range s.reload {
		if !t.After(now) {
			delete(s.reload, id)
			s.load(id)
		} else if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, m := range s.msgs {
		for ch := range m.next {
			t := m.next[ch]
			if t.IsZero() {
				continue
			}
			if !t.After(now) {
				s.startRound(m, Channel(ch))
			} else if next.IsZero() || t.Before(next) {
				next = t
			}
		}
		if !m.bounceRetry.IsZero() {
			if !m.bounceRetry.After(now) {
				m.bounceRetry = time.Time{}
				s.maybeDone(m)
			} else if next.IsZero() || m.bounceRetry.Before(next) {
				next = m.bounceRetry
			}
		}
	}
	if !next.IsZero() {
		s.wakeBy(next)
	}
}

func (s *Sender) dispatch() error {
	if s.stopped {
		return nil
	}
	for ch, c := range s.chans {
		for len(c.active) < c.conc && len(c.pending) > 0 {
			j := c.pending[0]
			c.pending[0] = job{}
			c.pending = c.pending[1:]
			j.m.queued[ch]--
			if j.m.finished || j.m.removed || j.r.state != pending {
				s.roundEnd(j.m, Channel(ch))
				continue
			}
			if err := s.start(Channel(ch), j); err != nil {
				return err
			}
		}
		if len(c.pending) == 0 {
			c.pending = nil
		}
	}
	return nil
}

func (s *Sender) start(ch Channel, j job) error {
	c := s.chans[ch]
	d := 0
	for ; d < spawn.MaxDeliveries; d++ {
		if _, busy := c.active[d]; !busy {
			break
		}
	}
	s.masterDelID++
	j.delid = s.masterDelID
	sender := VERPSender(j.m.sender, j.r.Addr)
	if len(j.r.Addr) >= spawn.MaxField || len(sender) >= spawn.MaxField {
		// Longer than the spawn protocol carries (a long prepend from
		// virtualdomains can do it): no delivery can ever succeed.
		c.active[d] = j
		j.r.state = inflight
		j.m.inflight[ch]++
		return s.handle(reply{ch, spawn.Reply{Delnum: d, Result: spawn.Failure, Text: "Address too long. (#5.1.3)\n"}})
	}
	req := spawn.AppendRequest(nil, spawn.Request{Delnum: d, ID: j.m.id, Sender: sender, Recip: j.r.Addr})
	if _, err := s.spawnW[ch].Write(req); err != nil {
		s.log.line(alertLostSpawn)
		return errLost{err: err}
	}
	c.active[d] = j
	j.r.state = inflight
	j.m.inflight[ch]++
	s.log.line(lineStarting(j.delid, j.m.id, ch, j.r.Addr))
	s.status()
	return nil
}

func (s *Sender) status() {
	cfg := s.cfg.Load()
	s.log.line(lineStatus(len(s.chans[Local].active), cfg.Concurrency[Local],
		len(s.chans[Remote].active), cfg.Concurrency[Remote], s.stopped))
}

// handle books the outcome of one delivery: the recipient is marked done
// only after a success, or after its failure is in bounce/N.
func (s *Sender) handle(r reply) error {
	c := s.chans[r.ch]
	j, ok := c.active[r.Delnum]
	if !ok {
		s.log.line(warnReportRange)
		return nil
	}
	if s.crashAt(stepReplied) {
		return errCrash
	}
	delete(c.active, r.Delnum)
	m := j.m
	m.inflight[r.ch]--
	text := r.Text
	result := r.Result
	if result == spawn.Deferral && !s.now().Before(m.birth.Add(s.cfg.Load().Lifetime)) {
		result = spawn.Failure
		text += giveUpText
	}
	if m.unwritten && result != spawn.Success {
		// A deferral must be remembered, a failure bounced: the message
		// needs its state on disk now.
		if err := s.writeDown(m); err == errCrash {
			return err
		} else if err != nil {
			s.log.line(warnWriteDown(m.id))
			result = spawn.Deferral
		}
	}
	s.log.line(lineDelivery(j.delid, result, text))
	switch result {
	case spawn.Success:
		s.markDone(m, r.ch, j.r)
	case spawn.Failure:
		if err := s.addBounce(m, j.r, text); err != nil {
			s.log.line(alertAppendBounce)
			j.r.state = pending
			m.deferred[r.ch] = true
		} else {
			s.markDone(m, r.ch, j.r)
		}
	default:
		j.r.state = pending
		m.deferred[r.ch] = true
	}
	if s.crashAt(stepMarked) {
		return errCrash
	}
	s.status()
	s.roundEnd(m, r.ch)
	return nil
}

// chanFile is the local/N or remote/N file of a message.
func (s *Sender) chanFile(id queue.ID, ch Channel) string {
	if ch == Remote {
		return s.Q.Remote(id)
	}
	return s.Q.Local(id)
}

// queueName is a queue file's name as qmail-send's log gives it,
// relative to the queue directory ("remote/3/1234").
func (s *Sender) queueName(path string) string {
	return Safe(strings.TrimPrefix(path, s.Q.Path()+"/"))
}

func (s *Sender) markDone(m *message, ch Channel, r *rcpt) {
	if m.unwritten {
		// Nothing on disk to mark: the message leaves todo/ next.
		r.state = done
		return
	}
	path := s.chanFile(m.id, ch)
	err := func() error {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		// Written, not fsync'd, as qmail-send does: the mark survives
		// any crash of the programs. Only a power failure before the
		// kernel writes it back can lose it, and then the recipient gets
		// the message twice, never not at all. An fsync here held up the
		// whole delivery loop for a disk write per delivery.
		if _, err := f.WriteAt([]byte{'D'}, r.Offset); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}()
	if err != nil {
		// The delivery will be repeated: better twice than never.
		s.log.line(warnMarking(s.queueName(path)))
		r.state = pending
		m.deferred[ch] = true
		return
	}
	r.state = done
}

func (s *Sender) addBounce(m *message, r *rcpt, text string) error {
	path := s.Q.Bounce(m.id)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(BounceReport(r.Addr, text)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return durable.SyncDir(dirOf(path))
}

// roundEnd reschedules a channel whose round is over and finishes the
// message when nothing is left.
func (s *Sender) roundEnd(m *message, ch Channel) {
	if m.finished || m.inflight[ch] > 0 || m.queued[ch] > 0 {
		return
	}
	if m.deferred[ch] && !m.removed {
		m.deferred[ch] = false
		// The last try comes when the message reaches queuelifetime.
		next := m.retry[ch]
		if end := m.birth.Add(s.cfg.Load().Lifetime); next.After(end) && end.After(s.now()) {
			next = end
		}
		s.recordRetry(m, ch, next)
		s.schedule(m, ch, next)
	}
	s.maybeDone(m)
}

func (s *Sender) maybeDone(m *message) {
	if m.finished {
		return
	}
	for ch := range m.r {
		if m.inflight[ch] > 0 || m.queued[ch] > 0 || (!m.removed && m.left(Channel(ch)) > 0) {
			return
		}
	}
	if !m.bounceRetry.IsZero() {
		return
	}
	s.messDone(m)
}

// messDone sends the bounce if there is one, then takes the message out
// of the queue: bounce, local, remote, info (or, for a message delivered
// straight from todo/, todo), then intd and mess through qmail-clean.
//
// The bounce's "new msg" line comes after this message's "end msg", as
// in qmail, where one loop does both: the todo goroutine waits for
// s.order before it logs a new message.
func (s *Sender) messDone(m *message) {
	id := m.id
	done := s.removeState
	if m.unwritten {
		done = s.bookUnwritten
	}
	s.order.Lock()
	defer s.order.Unlock()
	if !done(m) {
		return
	}
	if s.crashAt(stepFilesRemoved) {
		s.crashed = true
		return
	}
	m.finished = true
	delete(s.msgs, id)
	s.toRemove <- id
	s.log.line(lineEndMsg(id))
}

// removeState queues the bounce, if any, and removes the files of a
// preprocessed message's state; false: not now (a later try is set) or a
// crash step was reached.
func (s *Sender) removeState(m *message) bool {
	q := s.Q
	id := m.id
	if !m.removed {
		if _, err := os.Stat(q.Bounce(id)); err == nil {
			if !s.injectBounce(m) {
				m.bounceRetry = s.now().Add(time.Minute)
				s.wakeBy(m.bounceRetry)
				return false
			}
			if s.crashAt(stepBounceQueued) {
				s.crashed = true
				return false
			}
		}
	}
	if err := removeSync(q.Bounce(id), true); err != nil {
		s.log.line(warnUnlink("bounce/" + id.String()))
		m.bounceRetry = s.now().Add(time.Minute)
		s.wakeBy(m.bounceRetry)
		return false
	}
	for _, p := range []string{q.Local(id), q.Remote(id), q.Info(id)} {
		if err := removeSync(p, false); err != nil {
			s.log.line(warnUnlink(s.queueName(p)))
		}
	}
	return true
}

// bookUnwritten removes todo/N of a message delivered straight from
// todo/. That is the step that books the delivery, as the done mark does
// for a preprocessed message: like that mark it is not fsync'd, so only a
// power failure, not a crash of qmail-send, can make the message be
// delivered again. false: todo/N could not be removed, and the message
// is dropped from memory but kept in the set, so that this run never
// delivers it again.
func (s *Sender) bookUnwritten(m *message) bool {
	id := m.id
	if err := syscall.Unlink(s.Q.Todo(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.line(warnUnlink("todo/" + id.String()))
		m.finished = true
		delete(s.msgs, id)
		return false
	}
	s.unwritten.remove(id)
	return true
}

// removeFinished has qmail-clean remove the message files of finished
// messages, apart from the main loop: its answer can wait behind the
// todo cleanups of the preprocessing workers, each with a directory
// fsync, and deliveries need not wait for any of that. The message is
// already out of the delivery state, and its inode (its id) cannot be
// taken by a new message until mess/ lets go of it, so nothing races
// with the removal. Closing s.toRemove ends it after the last request.
func (s *Sender) removeFinished(done chan<- struct{}) {
	defer close(done)
	for id := range s.toRemove {
		// Any other error means qmail-clean is gone, which the main loop
		// hears of through lostc.
		if err := s.removeDone(id); err == errCleanRefused {
			s.log.line(warnCleanUp("foop/" + id.String()))
		}
	}
}

// removeDone asks for the removal of a finished message. Its qmail-queue
// may still hold mess/N locked: qmail-send can deliver from todo/ as soon
// as todo/N is linked, while the writer still syncs todo/ and exits, or
// while a long-lived caller running qmail-queue's code in its own process
// finishes the message. qmail-clean refuses a locked message, so the
// request is made again for a few seconds, long enough for a writer's
// last steps, instead of leaving mess/ and intd/ to the stale cleanup ten
// minutes later.
func (s *Sender) removeDone(id queue.ID) error {
	err := s.clean.do("foop", id)
	for wait := 2 * time.Millisecond; err == errCleanRefused && wait <= 2*time.Second; wait *= 4 {
		time.Sleep(wait)
		err = s.clean.do("foop", id)
	}
	return err
}
