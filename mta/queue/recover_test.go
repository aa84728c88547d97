package queue

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// pausedInjection starts an injection that stops in S3, reading the end
// of its envelope, with its lock held; finish lets it complete.
func pausedInjection(t *testing.T, q *Queue) (id ID, finish func()) {
	t.Helper()
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { er.Close(); ew.Close() })
	ew.Write([]byte("Fa\x00Tb\x00"))
	done := make(chan error, 1)
	go func() {
		_, err := (&Injector{Q: q, PID: 9, UID: 9}).Inject(strings.NewReader("m\n"), er)
		done <- err
	}()
	// mess/N appears before the envelope is read; intd/N (made unnamed
	// where the system allows) only once it is complete.
	var ids []ID
	if !testbin.Eventually(10*time.Second, func() bool { ids = q.messIDs(); return len(ids) == 1 }) {
		t.Fatal("no mess file")
	}
	finished := false
	return ids[0], func() {
		if finished {
			return
		}
		finished = true
		ew.Write([]byte{0})
		ew.Close()
		if err := <-done; err != nil {
			t.Errorf("injection: %v", err)
		}
	}
}

func (q *Queue) messIDs() []ID {
	var all []ID
	for i := 0; i < q.Split; i++ {
		got, _ := ids(q.Path("mess", strconv.Itoa(i)))
		all = append(all, got...)
	}
	return all
}

// checkQueued says whether message id is intact in S4 (what qmail-queue's
// exit 0 promised): mess, and a todo that parses.
func checkQueued(t *testing.T, q *Queue, id ID, why string) {
	t.Helper()
	if st, err := q.State(id); st != S4 || err != nil {
		t.Errorf("%s: state %v %v, want S4", why, st, err)
	}
	if _, err := os.Stat(q.Mess(id)); err != nil {
		t.Errorf("%s: mess gone: %v", why, err)
	}
	b, err := os.ReadFile(q.Todo(id))
	if err != nil {
		t.Errorf("%s: todo gone: %v", why, err)
		return
	}
	if _, err := ParseTodo(b); err != nil {
		t.Errorf("%s: todo unreadable: %v", why, err)
	}
}

// TestWriterFinishingDuringStaleScan is the interleaving that lost a
// message in TestCrashConsistency: qmail-send, starting, looks at a
// message in S3; its qmail-queue then links todo/N and exits, dropping
// its lock; a check of the lock after that took the message for a dead
// writer's, and qmail-clean removed mess/N and intd/N, leaving todo/N that
// qmail-send could never preprocess. The probe makes the writer finish
// exactly between the two looks.
func TestWriterFinishingDuringStaleScan(t *testing.T) {
	q := newQueue(t, 3)
	id, finish := pausedInjection(t, q)
	staleProbe = func(ID) { finish() }
	t.Cleanup(func() { staleProbe = nil })
	stale, err := q.Stale(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	staleProbe = nil
	for _, s := range stale {
		if err := q.RemoveMessage(s); err != nil {
			t.Logf("foop/%v refused: %v", s, err)
		}
	}
	if len(stale) != 0 {
		t.Errorf("stale %v: a message queued during the scan taken for debris", stale)
	}
	checkQueued(t, q, id, "after the scan")
}

// TestCleanSparesMessagesInUse: qmail-clean's requests are made from a
// look at the queue that may be out of date, or come late from the
// qmail-clean of a killed qmail-send, when inode N may be a new message's.
// A "foop" for a message being written or queued, and a "todo" for a
// message not yet preprocessed, are refused and remove nothing.
func TestCleanSparesMessagesInUse(t *testing.T) {
	t.Run("being written", func(t *testing.T) {
		q := newQueue(t, 3)
		id, finish := pausedInjection(t, q)
		if err := q.RemoveMessage(id); !errors.Is(err, ErrInUse) {
			t.Errorf("foop of a message being written: %v, want ErrInUse", err)
		}
		finish()
		checkQueued(t, q, id, "foop while written")
	})
	t.Run("queued", func(t *testing.T) {
		q := newQueue(t, 3)
		id, err := inject(t, q, 0, "m\n", "Fa\x00Tb\x00\x00")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		q.ServeClean(strings.NewReader("foop/"+id.String()+"\x00todo/"+id.String()+"\x00"), &out)
		if out.String() != "!!" {
			t.Errorf("answers %q, want !! (both refused)", out.String())
		}
		checkQueued(t, q, id, "foop and todo of a queued message")
	})
	t.Run("in delivery", func(t *testing.T) {
		q := newQueue(t, 3)
		id, err := inject(t, q, 0, "m\n", "Fa\x00Tb\x00\x00")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(q.Info(id), []byte("Fa\x00"), 0o644)
		if err := q.RemoveTodo(id); err != nil {
			t.Fatal(err)
		}
		if err := q.RemoveMessage(id); !errors.Is(err, ErrInUse) {
			t.Errorf("foop of a message in S5: %v, want ErrInUse", err)
		}
		if st, _ := q.State(id); st != S5 {
			t.Errorf("state %v, want S5", st)
		}
		if _, err := os.Stat(q.Mess(id)); err != nil {
			t.Errorf("mess gone: %v", err)
		}
	})
	t.Run("debris", func(t *testing.T) {
		// Debris goes, in either state, and so does a finished message.
		for _, step := range []Step{StepMessSynced, StepIntdWritten} {
			q := newQueue(t, 3)
			if _, err := inject(t, q, step, "m\n", "Fa\x00Tb\x00\x00"); err != errCrash {
				t.Fatal(err)
			}
			m, _ := q.Messages()
			for _, id := range m {
				if err := q.RemoveMessage(id); err != nil {
					t.Errorf("step %d: foop of debris: %v", step, err)
				}
			}
			if got := files(t, q); len(got) != 0 {
				t.Errorf("step %d: left %v", step, got)
			}
		}
	})
}

// Where the system allows, a message being written has no pid/ file and
// no intd/ file: its envelope gets its name complete and on disk.
func TestUnnamedWhileWriting(t *testing.T) {
	if !unnamedWorks() {
		t.Skip("no O_TMPFILE or no /proc here")
	}
	q := newQueue(t, 3)
	id, finish := pausedInjection(t, q)
	for _, d := range []string{"pid", "intd", "todo"} {
		if got, _ := ids(q.Path(d)); len(got) != 0 {
			t.Errorf("%s/ holds %v while the envelope is read", d, got)
		}
	}
	if ents, _ := os.ReadDir(q.Path("pid")); len(ents) != 0 {
		t.Errorf("pid/ holds %d files", len(ents))
	}
	finish()
	checkQueued(t, q, id, "after the unnamed injection")
	b, err := os.ReadFile(q.Intd(id))
	if err != nil || !bytes.HasSuffix(b, []byte("Fa\x00Tb\x00")) {
		t.Errorf("intd/%v: %q %v", id, b, err)
	}
	if ents, _ := os.ReadDir(q.Path("pid")); len(ents) != 0 {
		t.Errorf("pid/ holds %d files after", len(ents))
	}
}

// Where the link through /proc fails (a sandbox), the message is queued
// with qmail's named files, and so is every later one.
func TestUnnamedLinkFallsBack(t *testing.T) {
	if !unnamedWorks() {
		t.Skip("no O_TMPFILE or no /proc here")
	}
	was := procFDDir
	procFDDir = "/nonexistent/fd/"
	t.Cleanup(func() { procFDDir = was; unnamedBroken.Store(false) })
	q := newQueue(t, 3)
	for i := 0; i < 2; i++ {
		id, err := inject(t, q, 0, "m\n", "Fa\x00Tb\x00\x00")
		if err != nil {
			t.Fatalf("injection %d: %v", i, err)
		}
		checkQueued(t, q, id, "after the fallback")
	}
	if !unnamedBroken.Load() {
		t.Error("unnamed files still tried after the link failed")
	}
	if ents, _ := os.ReadDir(q.Path("pid")); len(ents) != 0 {
		t.Errorf("pid/ holds %d files", len(ents))
	}
}
