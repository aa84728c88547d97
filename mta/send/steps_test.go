package send

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/spawn"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// harness runs Sender in-process with stand-in spawn daemons that only
// count deliveries, and the real qmail-clean logic and qmail-queue.
type harness struct {
	t     *testing.T
	home  string
	q     *queue.Queue
	log   lockedBuffer
	mu    sync.Mutex
	count map[string]int
	cfg   *Config // nil: testConfig()
	// viaProgram sends the removals to qmail-clean (the privileged
	// installation's way) instead of doing them in qmail-send.
	viaProgram bool
	requests   atomic.Int32 // requests qmail-clean received
	// gate, when set, holds deliveries to wait*@ addresses until closed.
	gate         chan struct{}
	maxUnwritten int
	now          func() time.Time // nil: the clock
}

// countingReader counts the NUL-ended requests read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int32
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int32(bytes.Count(p[:n], []byte{0})))
	return n, err
}

func newHarness(t *testing.T) *harness {
	home := t.TempDir()
	q, err := queue.Create(home, 5, queue.Self)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, home: home, q: q, count: map[string]int{}}
}

func (h *harness) deliver(r spawn.Request) (byte, string) {
	if h.gate != nil && strings.HasPrefix(r.Recip, "wait") {
		<-h.gate
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count[r.Recip]++
	switch {
	case strings.HasPrefix(r.Recip, "fail@"):
		return spawn.Failure, "No such user.\n"
	case strings.HasPrefix(r.Recip, "defer@"), strings.HasPrefix(r.Recip, "flaky@") && h.count[r.Recip] == 1:
		return spawn.Deferral, "Try again later.\n"
	}
	return spawn.Success, "ok\n"
}

func (h *harness) delivered(addr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count[addr]
}

func testConfig() *Config {
	return &Config{
		Me:          "localhost",
		Router:      Router{Locals: lowerSet([]string{"localhost"}), NoAtHost: "localhost"},
		Concurrency: [2]int{10, 20}, Lifetime: 7 * 24 * time.Hour,
		BounceFrom: "MAILER-DAEMON", BounceHost: "localhost",
		DoubleBounceTo: "postmaster", DoubleBounceHost: "localhost",
	}
}

// leftFiles counts the files in the queue's state directories, mess/
// apart.
func (h *harness) leftFiles() int {
	left := 0
	for _, d := range []string{"pid", "intd", "todo", "info", "local", "remote", "bounce"} {
		ents, _ := os.ReadDir(h.q.Path(d))
		for _, e := range ents {
			if !e.IsDir() {
				left++
			} else if sub, _ := os.ReadDir(h.q.Path(d, e.Name())); len(sub) > 0 {
				left += len(sub)
			}
		}
	}
	return left
}

// run starts a Sender that stops dead at crash; the result comes on the
// returned channel once Run returns and the stand-ins are gone.
func (h *harness) run(crash step, sigs chan os.Signal) <-chan error {
	pipe := func() (*os.File, *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			h.t.Fatal(err)
		}
		return r, w
	}
	lqR, lqW := pipe()
	lpR, lpW := pipe()
	rqR, rqW := pipe()
	rpR, rpW := pipe()
	cqR, cqW := pipe()
	cpR, cpW := pipe()
	var wg sync.WaitGroup
	serve := func(in, out *os.File) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spawn.Serve(in, out, h.deliver)
			in.Close()
			out.Close()
		}()
	}
	serve(lqR, lpW)
	serve(rqR, rpW)
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.q.ServeClean(countingReader{cqR, &h.requests}, cpW)
		cqR.Close()
		cpW.Close()
	}()
	s := &Sender{Q: h.q, Home: h.home, QueueProg: testbin.Path(h.t, "qmail-queue"),
		QueueEnv: []string{"QMAILHOME=" + h.home}, crash: crash, cleanViaProgram: h.viaProgram, maxUnwritten: h.maxUnwritten, Now: h.now}
	done := make(chan error, 1)
	cfg := h.cfg
	if cfg == nil {
		cfg = testConfig()
	}
	go func() {
		err := s.Run(cfg, Links{
			Log: &h.log, LspawnW: lqW, LspawnR: lpR, RspawnW: rqW, RspawnR: rpR,
			CleanW: cqW, CleanR: cpR, Trigger: h.q.Trigger(), ToolFIFO: h.q.ToolFIFO(), Signals: sigs,
		})
		// What a dead process's descriptors would do: close.
		lqW.Close()
		rqW.Close()
		cqW.Close()
		wg.Wait()
		lpR.Close()
		rpR.Close()
		cpR.Close()
		done <- err
	}()
	return done
}

// TestCrashAtEveryBookkeepingStep stops qmail-send dead after each step
// of its bookkeeping (preprocessing written, a report received, a
// recipient marked done, the bounce queued, the files removed), starts it
// again, and checks the message is delivered, bounced, and gone.
func TestCrashAtEveryBookkeepingStep(t *testing.T) {
	for _, tc := range []struct {
		st         step
		viaProgram bool
	}{{stepPreprocessed, false}, {stepReplied, false}, {stepMarked, false}, {stepBounceQueued, false}, {stepFilesRemoved, false},
		{stepPreprocessed, true}, {stepBounceQueued, true}, {stepFilesRemoved, true}} {
		st := tc.st
		h := newHarness(t)
		h.viaProgram = tc.viaProgram
		in := &queue.Injector{Q: h.q, PID: 1, UID: 1}
		id, err := in.Inject(strings.NewReader("Subject: x\n\nbody\n"),
			strings.NewReader("Fs@remote.example\x00Tok@localhost\x00Tfail@localhost\x00\x00"))
		if err != nil {
			t.Fatal(err)
		}
		first := h.run(st, nil)
		select {
		case err := <-first:
			if err != errCrash {
				t.Fatalf("step %d: first run ended with %v", st, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("step %d: never reached; log:\n%s", st, h.log.String())
		}
		sigs := make(chan os.Signal, 1)
		second := h.run(stepNone, sigs)
		if !testbin.Eventually(30*time.Second, func() bool {
			infos, _ := h.q.Infos()
			todos, _ := h.q.Todos()
			return len(infos) == 0 && len(todos) == 0 && h.delivered("s@remote.example") > 0
		}) {
			t.Fatalf("step %d: not finished; log:\n%s", st, h.log.String())
		}
		sigs <- syscall.SIGTERM
		if err := <-second; err != nil {
			t.Fatalf("step %d: second run: %v", st, err)
		}
		// Delivered at least once; twice only where the crash fell
		// between a delivery and its bookkeeping: the crash while booking
		// one recipient may find the other's delivery done but unbooked.
		ok, bounces := h.delivered("ok@localhost"), h.delivered("s@remote.example")
		maxOK, maxBounce := 1, 1
		switch st {
		case stepReplied, stepMarked:
			maxOK = 2
		case stepBounceQueued:
			maxBounce = 2
		}
		if ok < 1 || ok > maxOK || bounces < 1 || bounces > maxBounce {
			t.Errorf("step %d: ok delivered %d times, bounce %d times", st, ok, bounces)
		}
		t.Logf("step %d: ok delivered %d, bounce delivered %d", st, ok, bounces)
		if left := h.leftFiles(); left != 0 {
			t.Errorf("step %d: %d files left", st, left)
		}
		stale, _ := h.q.Stale(time.Now().Add(queue.Ossified + time.Hour))
		msgs, _ := h.q.Messages()
		if len(msgs) != len(stale) {
			t.Errorf("step %d: mess files %v, of which only %v stale", st, msgs, stale)
		}
		for _, s := range stale {
			if s != id && st != stepBounceQueued {
				t.Errorf("step %d: unexpected leftover %v", st, s)
			}
		}
	}
}

// TestBurstDoesNotStarveDelivery queues a burst of messages before
// qmail-send starts: deliveries must begin while the burst is still being
// taken in, not after (the "silly qmail syndrome").
func TestBurstDoesNotStarveDelivery(t *testing.T) {
	h := newHarness(t)
	in := &queue.Injector{Q: h.q, PID: 1, UID: 1}
	const burst = 300
	for i := 0; i < burst; i++ {
		if _, err := in.Inject(strings.NewReader("m\n"), strings.NewReader("Fs@localhost\x00Tok@localhost\x00\x00")); err != nil {
			t.Fatal(err)
		}
	}
	sigs := make(chan os.Signal, 1)
	done := h.run(stepNone, sigs)
	if !testbin.Eventually(60*time.Second, func() bool { return h.delivered("ok@localhost") >= burst }) {
		t.Fatalf("%d of %d delivered", h.delivered("ok@localhost"), burst)
	}
	sigs <- syscall.SIGTERM
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	log := h.log.String()
	firstStart := strings.Index(log, "starting delivery")
	lastNew := strings.LastIndex(log, "new msg")
	if firstStart < 0 || firstStart > lastNew {
		t.Errorf("the first delivery started only after the whole burst was taken in")
	}
}

// TestAddressTooLongForSpawn: a virtualdomains prepend can make an
// address longer than the spawn protocol carries; the recipient fails
// for good instead of breaking qmail-lspawn.
func TestAddressTooLongForSpawn(t *testing.T) {
	h := newHarness(t)
	h.cfg = testConfig()
	h.cfg.Router.Virtual = ParseVirtualDomains([]string{"long.example:" + strings.Repeat("p", spawn.MaxField)})
	in := &queue.Injector{Q: h.q, PID: 1, UID: 1}
	if _, err := in.Inject(strings.NewReader("m\n"), strings.NewReader("Fs@remote.example\x00Tu@long.example\x00Tok@localhost\x00\x00")); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	done := h.run(stepNone, sigs)
	if !testbin.Eventually(30*time.Second, func() bool {
		return h.delivered("s@remote.example") > 0 && h.delivered("ok@localhost") > 0
	}) {
		t.Fatalf("no bounce; log:\n%s", h.log.String())
	}
	sigs <- syscall.SIGTERM
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.log.String(), "failure: Address_too_long._(#5.1.3)/\n") {
		t.Errorf("log: %s", h.log.String())
	}
}

// TestCleanInProcessOrByQmailClean: in a single-user queue qmail-send
// removes preprocessed and finished messages itself and asks qmail-clean
// nothing; told to use qmail-clean (as with qmail's users), every removal
// is a request to it. Either way the queue ends empty.
func TestCleanInProcessOrByQmailClean(t *testing.T) {
	for _, viaProgram := range []bool{false, true} {
		h := newHarness(t)
		h.viaProgram = viaProgram
		if !removesItself(h.q) {
			t.Fatal("a queue of our own uid is not seen as removable by us")
		}
		in := &queue.Injector{Q: h.q, PID: 1, UID: 1}
		const n = 5
		for i := 0; i < n; i++ {
			if _, err := in.Inject(strings.NewReader("m\n"), strings.NewReader("Fs@localhost\x00Tok@localhost\x00\x00")); err != nil {
				t.Fatal(err)
			}
		}
		sigs := make(chan os.Signal, 1)
		done := h.run(stepNone, sigs)
		if !testbin.Eventually(30*time.Second, func() bool {
			msgs, _ := h.q.Messages()
			todos, _ := h.q.Todos()
			return h.delivered("ok@localhost") == n && len(msgs) == 0 && len(todos) == 0
		}) {
			t.Fatalf("viaProgram %v: not finished; log:\n%s", viaProgram, h.log.String())
		}
		sigs <- syscall.SIGTERM
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Two per message: todo/N once preprocessed, foop/N once done.
		got, want := h.requests.Load(), int32(0)
		if viaProgram {
			want = 2 * n
		}
		if got != want {
			t.Errorf("viaProgram %v: qmail-clean got %d requests, want %d", viaProgram, got, want)
		}
	}
}

// TestQmailCleanGoneEndsSend: qmail-send that removes files itself still
// ends, as qmail-send does, when qmail-clean goes away.
func TestQmailCleanGoneEndsSend(t *testing.T) {
	h := newHarness(t)
	cqR, cqW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cpR, cpW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer cqR.Close()
	defer cqW.Close()
	defer cpR.Close()
	s := &Sender{Q: h.q, Home: h.home, QueueProg: testbin.Path(t, "qmail-queue"), QueueEnv: []string{"QMAILHOME=" + h.home}}
	done := make(chan error, 1)
	go func() {
		done <- s.Run(testConfig(), Links{Log: &h.log, LspawnW: io.Discard, LspawnR: blockingReader{}, RspawnW: io.Discard, RspawnR: blockingReader{},
			CleanW: cqW, CleanR: cpR})
	}()
	time.Sleep(100 * time.Millisecond)
	cpW.Close() // qmail-clean exits
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "qmail-clean") {
			t.Fatalf("Run ended with %v, want an error naming qmail-clean", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("qmail-send did not notice that qmail-clean went away")
	}
}

// blockingReader is a daemon that never answers.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }

// TestPreprocessedAsReadBack: the message preprocessing hands to the
// delivery loop, made from the bytes it wrote, is the one a restarted
// qmail-send reads back from info/, local/ and remote/.
func TestPreprocessedAsReadBack(t *testing.T) {
	h := newHarness(t)
	in := &queue.Injector{Q: h.q, PID: 1, UID: 1}
	id, err := in.Inject(strings.NewReader("m\n"),
		strings.NewReader("Fs@remote.example\x00Ta@localhost\x00Tr@remote.example\x00Tb@localhost\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Sender{Q: h.q, Home: h.home, log: &logger{w: io.Discard}, clean: &cleaner{self: h.q}}
	s.cfg.Store(testConfig())
	m, err := s.preprocess(id)
	if err != nil || m == nil {
		t.Fatalf("preprocess: %v %v", m, err)
	}
	back, err := loadMessage(h.q, id)
	if err != nil {
		t.Fatal(err)
	}
	// Read back, each channel is due at its file's time, the moment it
	// was written: now, as a zero time says in memory.
	for ch, t0 := range back.next {
		if t0.After(time.Now()) {
			t.Errorf("channel %d read back due at %v, later than now", ch, t0)
		}
		back.next[ch] = time.Time{}
	}
	if !reflect.DeepEqual(m, back) {
		t.Errorf("preprocessed %+v\nread back    %+v", *m, *back)
	}
	if len(m.r[Local]) != 2 || len(m.r[Remote]) != 1 || m.sender != "s@remote.example" || m.birth.IsZero() {
		t.Errorf("preprocessed %+v", *m)
	}
	if todos, _ := h.q.Todos(); len(todos) != 0 {
		t.Errorf("todo left: %v", todos)
	}
}
