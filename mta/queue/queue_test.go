package queue

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func newQueue(t *testing.T, split int) *Queue {
	t.Helper()
	home := t.TempDir()
	q, err := Create(home, split, Self)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestCreateAndOpen(t *testing.T) {
	home := t.TempDir()
	if _, err := Create(home, 7, Self); err != nil {
		t.Fatal(err)
	}
	// Making it again completes nothing and breaks nothing.
	if _, err := Create(home, 7, Self); err != nil {
		t.Fatalf("second Create: %v", err)
	}
	q, err := Open(home)
	if err != nil {
		t.Fatal(err)
	}
	if q.Split != 7 {
		t.Errorf("split read back as %d, want 7", q.Split)
	}
	fi, err := os.Stat(q.Trigger())
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("lock/trigger is not a FIFO: %v %v", fi, err)
	}
	if fi.Mode().Perm() != 0o622 {
		t.Errorf("lock/trigger mode %o, want 622", fi.Mode().Perm())
	}
	for _, d := range []string{"pid", "intd", "todo", "bounce", "mess/6", "info/0", "local/3", "remote/6"} {
		if fi, err := os.Stat(q.Path(d)); err != nil || !fi.IsDir() {
			t.Errorf("%s missing: %v", d, err)
		}
	}
	if _, err := Create(home, 0, Self); err == nil {
		t.Error("split 0 accepted")
	}
	if _, err := Open(t.TempDir()); err == nil {
		t.Error("Open of a home without queue succeeded")
	}
}

func TestReceived(t *testing.T) {
	at := time.Date(1995, 9, 6, 4, 46, 54, 0, time.FixedZone("x", 3600))
	for _, c := range []struct {
		why    string
		caller int
		want   string
	}{
		{"plain user: uid shown; UTC date; day without leading zero", ByUID,
			"Received: (qmail 4242 invoked by uid 1001); 6 Sep 1995 03:46:54 -0000\n"},
		{"alias uid: forwarded mail", ByAlias,
			"Received: (qmail 4242 invoked by alias); 6 Sep 1995 03:46:54 -0000\n"},
		{"qmaild uid: from the network", FromNet,
			"Received: (qmail 4242 invoked from network); 6 Sep 1995 03:46:54 -0000\n"},
		{"qmails uid: a bounce", Bounce,
			"Received: (qmail 4242 invoked for bounce); 6 Sep 1995 03:46:54 -0000\n"},
	} {
		if got := Received(4242, 1001, c.caller, at); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.why, got, c.want)
		}
	}
}

func TestCopyEnvelope(t *testing.T) {
	long := strings.Repeat("a", MaxAddr-1)
	for _, c := range []struct {
		why    string
		in     string
		out    string
		recips int
		err    error
	}{
		{"one recipient", "Fa@b\x00Tc@d\x00\x00", "Fa@b\x00Tc@d\x00", 1, nil},
		{"null sender, two recipients", "F\x00Tx\x00Ty\x00\x00", "F\x00Tx\x00Ty\x00", 2, nil},
		{"no recipient is allowed", "Fa\x00\x00", "Fa\x00", 0, nil},
		{"empty input: nothing to queue", "", "", 0, ErrEnvelopeEOF},
		{"missing final NUL", "Fa\x00Tb\x00", "", 0, ErrEnvelopeEOF},
		{"cut inside an address", "Fa\x00Tb", "", 0, ErrEnvelopeEOF},
		{"does not start with F", "Ta\x00\x00", "", 0, ErrEnvelopeFormat},
		{"record other than T", "Fa\x00Xb\x00\x00", "", 0, ErrEnvelopeFormat},
		{"longest address qmail takes", "F" + long[:MaxAddr-1] + "\x00\x00", "F" + long[:MaxAddr-1] + "\x00", 0, nil},
		{"one byte longer", "F" + long + "a\x00\x00", "", 0, ErrAddrTooLong},
		{"too long recipient", "Fa\x00T" + long + "a\x00\x00", "", 0, ErrAddrTooLong},
	} {
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		_, n, err := CopyEnvelope(bw, bufio.NewReader(strings.NewReader(c.in)))
		bw.Flush()
		if err != c.err {
			t.Errorf("%s: err %v, want %v", c.why, err, c.err)
			continue
		}
		if err == nil && (out.String() != c.out || n != c.recips) {
			t.Errorf("%s: got %q (%d), want %q (%d)", c.why, out.String(), n, c.out, c.recips)
		}
	}
}

func FuzzEnvelope(f *testing.F) {
	f.Add([]byte("Fa@b\x00Tc@d\x00\x00"))
	f.Add([]byte("F\x00\x00"))
	f.Add([]byte("Fa\x00Tb"))
	f.Add([]byte("X"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		sender, n, err := CopyEnvelope(bw, bufio.NewReader(bytes.NewReader(in)))
		bw.Flush()
		if err != nil {
			return
		}
		// What was copied must read back as the same envelope.
		td, perr := ParseTodo(out.Bytes())
		if perr != nil || td.Sender != sender || len(td.Recips) != n {
			t.Fatalf("copy of %q reads back as %+v, %v", in, td, perr)
		}
	})
}

func FuzzRecips(f *testing.F) {
	f.Add([]byte("Ta\x00Db\x00"))
	f.Add([]byte("T"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, r := range ParseRecips(in) {
			if r.Offset < 0 || r.Offset >= int64(len(in)) || (in[r.Offset] != 'T' && in[r.Offset] != 'D') {
				t.Fatalf("bad offset %d in %q", r.Offset, in)
			}
		}
		ParseTodo(in)
		ParseInfo(in)
	})
}

func inject(t *testing.T, q *Queue, crash Step, msg, env string) (ID, error) {
	t.Helper()
	in := &Injector{Q: q, PID: 77, UID: 1000, crashAfter: crash,
		Now: func() time.Time { return time.Unix(1700000000, 0) }}
	return in.Inject(strings.NewReader(msg), strings.NewReader(env))
}

// files lists every regular file in the queue's message directories.
func files(t *testing.T, q *Queue) []string {
	t.Helper()
	var out []string
	for _, d := range []string{"pid", "mess", "intd", "todo", "info", "local", "remote", "bounce"} {
		filepath.Walk(q.Path(d), func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				rel, _ := filepath.Rel(q.Dir, p)
				out = append(out, rel)
			}
			return nil
		})
	}
	return out
}

func TestInject(t *testing.T) {
	q := newQueue(t, 23)
	id, err := inject(t, q, 0, "Subject: hi\n\nbody\n", "Fme@here\x00Tyou@there\x00Tx@y\x00\x00")
	if err != nil {
		t.Fatal(err)
	}
	mess, err := os.ReadFile(q.Mess(id))
	if err != nil {
		t.Fatal(err)
	}
	want := "Received: (qmail 77 invoked by uid 1000); 14 Nov 2023 22:13:20 -0000\nSubject: hi\n\nbody\n"
	if string(mess) != want {
		t.Errorf("mess:\n%q\nwant\n%q", mess, want)
	}
	todo, err := os.ReadFile(q.Todo(id))
	if err != nil {
		t.Fatal(err)
	}
	if string(todo) != "u1000\x00p77\x00Fme@here\x00Tyou@there\x00Tx@y\x00" {
		t.Errorf("todo: %q", todo)
	}
	if st, _ := q.State(id); st != S4 {
		t.Errorf("state %v, want S4", st)
	}
	if got := files(t, q); len(got) != 3 {
		t.Errorf("files %v, want mess, intd and todo", got)
	}
}

func TestInjectFailuresCleanUp(t *testing.T) {
	for _, c := range []struct {
		why  string
		env  string
		code int
	}{
		{"envelope cut short", "Fa\x00Tb\x00", ExitRead},
		{"envelope not starting with F", "Tb\x00\x00", ExitEnvelope},
		{"address too long", "F" + strings.Repeat("x", 2000) + "\x00\x00", ExitAddrTooLong},
		{"empty envelope", "", ExitRead},
	} {
		q := newQueue(t, 3)
		_, err := inject(t, q, 0, "x\n", c.env)
		if Code(err) != c.code {
			t.Errorf("%s: code %d (%v), want %d", c.why, Code(err), err, c.code)
		}
		if got := files(t, q); len(got) != 0 {
			t.Errorf("%s: left %v", c.why, got)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestInjectMessageReadError(t *testing.T) {
	q := newQueue(t, 3)
	in := &Injector{Q: q, PID: 1, UID: 1}
	_, err := in.Inject(failingReader{}, strings.NewReader("Fa\x00\x00"))
	if Code(err) != ExitRead {
		t.Errorf("code %d, want %d", Code(err), ExitRead)
	}
	if got := files(t, q); len(got) != 0 {
		t.Errorf("left %v", got)
	}
	_, err = in.Inject(&deadlineReader{}, strings.NewReader("Fa\x00\x00"))
	if Code(err) != ExitTimeout {
		t.Errorf("deadline: code %d, want %d", Code(err), ExitTimeout)
	}
}

type deadlineReader struct{}

func (*deadlineReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

// TestCrashAtEveryStep stops an injection after each step, as a crash
// would, and checks that recovery finds the message either queued (S4:
// qmail-send takes it) or in S2/S3 with no live writer, removed at once,
// leaving an empty queue.
func TestCrashAtEveryStep(t *testing.T) {
	t.Run("unnamed", crashAtEveryStep)
	t.Run("named", func(t *testing.T) {
		namedFiles(t)
		crashAtEveryStep(t)
	})
}

// namedFiles makes the injections of a test use qmail's named pid/ and
// intd/ files, as on systems without O_TMPFILE.
func namedFiles(t *testing.T) {
	was := unnamedBroken.Load()
	unnamedBroken.Store(true)
	t.Cleanup(func() { unnamedBroken.Store(was) })
}

func crashAtEveryStep(t *testing.T) {
	for s := StepPidOpened; s < lastStep; s++ {
		q := newQueue(t, 5)
		_, err := inject(t, q, s, "m\n", "Fa\x00Tb\x00\x00")
		if err != errCrash {
			t.Fatalf("step %d: %v", s, err)
		}
		later := time.Now().Add(Ossified + time.Hour)
		todos, _ := q.Todos()
		if s >= StepTodoLinked {
			if len(todos) != 1 {
				t.Errorf("step %d: todo %v, want the message queued", s, todos)
				continue
			}
			if st, _ := q.State(todos[0]); st != S4 {
				t.Errorf("step %d: state %v", s, st)
			}
			continue
		}
		if len(todos) != 0 {
			t.Errorf("step %d: queued before todo was linked: %v", s, todos)
		}
		// The writer is dead (its lock went with it): recovery need not
		// wait for the message to grow old.
		stale, err := q.Stale(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range stale {
			if err := q.RemoveMessage(id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := q.CleanPid(later); err != nil {
			t.Fatal(err)
		}
		if got := files(t, q); len(got) != 0 {
			t.Errorf("step %d: after recovery left %v", s, got)
		}
	}
}

func TestTriggerPulled(t *testing.T) {
	q := newQueue(t, 2)
	f, err := os.OpenFile(q.Trigger(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := inject(t, q, 0, "m\n", "Fa\x00Tb\x00\x00"); err != nil {
		t.Fatal(err)
	}
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 10)
	if n, err := f.Read(b); n < 1 || err != nil {
		t.Errorf("no byte on lock/trigger: %d %v", n, err)
	}
}

func TestParseRecips(t *testing.T) {
	got := ParseRecips([]byte("Ta@b\x00Dc@d\x00Xjunk\x00Tcut"))
	if len(got) != 2 || got[0] != (Recip{0, false, "a@b"}) || got[1] != (Recip{5, true, "c@d"}) {
		t.Errorf("got %+v", got)
	}
}

// TestLiveWriterIsNotStale: while qmail-queue writes a message, recovery
// leaves its files alone, however the clock looks (short of 36 hours).
func TestLiveWriterIsNotStale(t *testing.T) {
	q := newQueue(t, 3)
	mr, mw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	mw.Write([]byte("Subject: slow\n"))
	done := make(chan error, 1)
	go func() {
		_, err := (&Injector{Q: q, PID: 5, UID: 5}).Inject(mr, strings.NewReader("Fa\x00Tb\x00\x00"))
		done <- err
	}()
	if !testbin.Eventually(10*time.Second, func() bool { m, _ := q.Messages(); return len(m) == 1 }) {
		t.Fatal("no mess file")
	}
	if st, _ := q.Stale(time.Now().Add(time.Hour)); len(st) != 0 {
		t.Errorf("a message being written taken as stale")
	}
	if st, _ := q.Stale(time.Now().Add(Ossified + time.Hour)); len(st) != 1 {
		t.Errorf("36 hours make any unfinished message stale")
	}
	mw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mr.Close()
	if st, _ := q.Stale(time.Now()); len(st) != 0 {
		t.Errorf("a queued message taken as stale")
	}
}
