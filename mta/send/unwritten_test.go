package send

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
)

func (h *harness) inject(env string) queue.ID {
	h.t.Helper()
	in := &queue.Injector{Q: h.q, PID: 1, UID: 1}
	id, err := in.Inject(strings.NewReader("Subject: x\n\nbody\n"), strings.NewReader(env))
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) stop(sigs chan os.Signal, done <-chan error) {
	h.t.Helper()
	sigs <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			h.t.Fatalf("Run: %v; log:\n%s", err, h.log.String())
		}
	case <-time.After(30 * time.Second):
		h.t.Fatalf("qmail-send did not stop; log:\n%s", h.log.String())
	}
}

func (h *harness) empty() bool {
	msgs, _ := h.q.Messages()
	return len(msgs) == 0 && h.leftFiles() == 0
}

// TestSingleRecipientStraightFromTodo: a message with one recipient is
// delivered from todo/ without info/, local/ or remote/ files; todo scans
// while it is in delivery pass it over, so it is delivered once; then the
// queue is empty.
func TestSingleRecipientStraightFromTodo(t *testing.T) {
	h := newHarness(t)
	h.gate = make(chan struct{})
	id := h.inject("Fs@localhost\x00Twait@localhost\x00\x00")
	sigs := make(chan os.Signal, 1)
	done := h.run(stepNone, sigs)
	if !testbin.Eventually(30*time.Second, func() bool {
		return strings.Contains(h.log.String(), "starting delivery 1: msg "+id.String()+" to local wait@localhost")
	}) {
		t.Fatalf("no delivery started; log:\n%s", h.log.String())
	}
	todos, _ := h.q.Todos()
	infos, _ := h.q.Infos()
	if !slices.Contains(todos, id) || len(infos) != 0 {
		t.Errorf("in delivery: todo %v, info %v; want todo/%v and no info", todos, infos, id)
	}
	for _, f := range []string{h.q.Local(id), h.q.Remote(id)} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s written", f)
		}
	}
	// Each of these messages makes the todo goroutine scan todo/ again.
	for i := 0; i < 3; i++ {
		h.inject("Fs@localhost\x00Tok@localhost\x00\x00")
	}
	if !testbin.Eventually(30*time.Second, func() bool { return h.delivered("ok@localhost") == 3 }) {
		t.Fatalf("other messages not delivered; log:\n%s", h.log.String())
	}
	close(h.gate)
	if !testbin.Eventually(30*time.Second, func() bool { return h.delivered("wait@localhost") == 1 && h.empty() }) {
		t.Fatalf("not finished; log:\n%s", h.log.String())
	}
	h.stop(sigs, done)
	if n := h.delivered("wait@localhost"); n != 1 {
		t.Errorf("delivered %d times", n)
	}
	if n := strings.Count(h.log.String(), "new msg "+id.String()+"\n"); n != 1 {
		t.Errorf("taken in from todo %d times; log:\n%s", n, h.log.String())
	}
}

// TestDeferralWritesState: once a delivery straight from todo/ is
// deferred, the message is in S5 as preprocessing leaves it: info (with
// the birth it had in memory) and local written, todo/ gone; a new
// qmail-send takes it up from there.
func TestDeferralWritesState(t *testing.T) {
	h := newHarness(t)
	// A clock an hour behind: the birth kept must be the one in memory,
	// not the moment the files are written.
	h.now = func() time.Time { return time.Now().Add(-time.Hour) }
	before := time.Now().Add(-time.Hour - time.Second)
	id := h.inject("Fs@remote.example\x00Tdefer@localhost\x00\x00")
	sigs := make(chan os.Signal, 1)
	done := h.run(stepNone, sigs)
	if !testbin.Eventually(30*time.Second, func() bool { return strings.Contains(h.log.String(), "deferral: Try_again_later./") }) {
		t.Fatalf("no deferral; log:\n%s", h.log.String())
	}
	h.stop(sigs, done)
	todos, _ := h.q.Todos()
	if len(todos) != 0 {
		t.Errorf("todo left: %v", todos)
	}
	m, err := loadMessage(h.q, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.sender != "s@remote.example" || len(m.r[Local]) != 1 || m.r[Local][0].Addr != "defer@localhost" ||
		m.r[Local][0].state != pending || len(m.r[Remote]) != 0 {
		t.Errorf("state read back: %+v", *m)
	}
	if m.birth.Before(before) || m.birth.After(time.Now().Add(-time.Hour)) {
		t.Errorf("birth %v, not between %v and an hour ago", m.birth, before)
	}
	// Started again, qmail-send delivers from info/ and local/.
	h.now = nil
	done = h.run(stepNone, sigs)
	if !testbin.Eventually(30*time.Second, func() bool { return h.delivered("defer@localhost") >= 2 }) {
		t.Fatalf("not retried after a restart; log:\n%s", h.log.String())
	}
	h.stop(sigs, done)
}

// TestUnwrittenCrashes stops qmail-send dead at the steps of a message
// delivered straight from todo/ (the report received; todo/ removed; the
// state written down after a deferral or a failure; the failure booked)
// and starts it again: the message is delivered or bounced, at most twice
// where the crash fell between a delivery and its booking, and nothing is
// left.
func TestUnwrittenCrashes(t *testing.T) {
	for _, tc := range []struct {
		rcpt         string
		st           step
		max, bounces int
	}{
		{"ok@localhost", stepReplied, 2, 0},
		{"ok@localhost", stepFilesRemoved, 1, 0},
		{"fail@localhost", stepPreprocessed, 2, 1},
		// Deferred, then delivered: what the first run wrote down must
		// not outlive the message.
		{"flaky@localhost", stepPreprocessed, 2, 0},
		{"fail@localhost", stepMarked, 1, 1},
	} {
		h := newHarness(t)
		h.inject("Fs@remote.example\x00T" + tc.rcpt + "\x00\x00")
		select {
		case err := <-h.run(tc.st, nil):
			if err != errCrash {
				t.Fatalf("%s step %d: first run ended with %v", tc.rcpt, tc.st, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s step %d: never reached; log:\n%s", tc.rcpt, tc.st, h.log.String())
		}
		sigs := make(chan os.Signal, 1)
		done := h.run(stepNone, sigs)
		if !testbin.Eventually(30*time.Second, func() bool {
			return h.delivered(tc.rcpt) >= 1 && h.delivered("s@remote.example") >= tc.bounces && h.empty()
		}) {
			msgs, _ := h.q.Messages()
			t.Fatalf("%s step %d: not finished: %d files, mess %v; log:\n%s", tc.rcpt, tc.st, h.leftFiles(), msgs, h.log.String())
		}
		h.stop(sigs, done)
		if n, b := h.delivered(tc.rcpt), h.delivered("s@remote.example"); n > tc.max || b != tc.bounces {
			t.Errorf("%s step %d: delivered %d times (at most %d), bounced %d times (want %d)", tc.rcpt, tc.st, n, tc.max, b, tc.bounces)
		}
	}
}

// TestUnwrittenBound: beyond maxUnwritten messages in delivery straight
// from todo/, new ones are preprocessed as usual.
func TestUnwrittenBound(t *testing.T) {
	h := newHarness(t)
	h.gate = make(chan struct{})
	h.maxUnwritten = 2
	const n = 6
	for i := 0; i < n; i++ {
		h.inject("Fs@localhost\x00Twait@localhost\x00\x00")
	}
	sigs := make(chan os.Signal, 1)
	done := h.run(stepNone, sigs)
	if !testbin.Eventually(30*time.Second, func() bool {
		return strings.Count(h.log.String(), "starting delivery") == n
	}) {
		t.Fatalf("not all deliveries started; log:\n%s", h.log.String())
	}
	todos, _ := h.q.Todos()
	infos, _ := h.q.Infos()
	if len(todos) != 2 || len(infos) != n-2 {
		t.Errorf("in delivery: %d in todo, %d in info; want 2 and %d", len(todos), len(infos), n-2)
	}
	close(h.gate)
	if !testbin.Eventually(30*time.Second, func() bool { return h.delivered("wait@localhost") == n && h.empty() }) {
		t.Fatalf("not finished; log:\n%s", h.log.String())
	}
	h.stop(sigs, done)
	if got := h.delivered("wait@localhost"); got != n {
		t.Errorf("delivered %d times, want %d", got, n)
	}
}

// TestFinishedWhileQueueStillHoldsLock: a message can be delivered from
// todo/ while its qmail-queue is still finishing (syncing todo/ after the
// link, or a long-lived caller that has not let go of mess/N yet), so
// mess/N is still locked when qmail-send asks for its removal. The
// removal waits for the writer instead of leaving mess/ and intd/ for
// the next stale cleanup, ten minutes later, with a warning.
func TestFinishedWhileQueueStillHoldsLock(t *testing.T) {
	h := newHarness(t)
	id := h.inject("Fs@localhost\x00Tok@localhost\x00\x00")
	f, err := os.Open(h.q.Mess(id))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	done := h.run(stepNone, sigs)
	if !testbin.Eventually(30*time.Second, func() bool { return h.delivered("ok@localhost") == 1 }) {
		t.Fatalf("not delivered; log:\n%s", h.log.String())
	}
	time.AfterFunc(100*time.Millisecond, func() { f.Close() }) // the writer exits
	if !testbin.Eventually(10*time.Second, h.empty) {
		t.Fatalf("mess/ and intd/ left after the writer let go; log:\n%s", h.log.String())
	}
	h.stop(sigs, done)
	if strings.Contains(h.log.String(), "unable to clean up") {
		t.Errorf("warned about a removal that only had to wait; log:\n%s", h.log.String())
	}
}
