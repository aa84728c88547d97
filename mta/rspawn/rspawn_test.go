package rspawn

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/spawn"
)

// newQueue makes a qmail home whose remote mail all goes to the sink,
// with one message in the queue.
func newQueue(t *testing.T, s *testbin.SMTPSink, id queue.ID, body string) (*queue.Queue, []string) {
	t.Helper()
	home := t.TempDir()
	q, err := queue.Create(home, queue.DefaultSplit, queue.Self)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(home, "control"), 0o755)
	for name, v := range map[string]string{"me": "rspawn.test", "smtproutes": ":" + s.Addr} {
		if err := os.WriteFile(filepath.Join(home, "control", name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(q.Mess(id), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// DNS questions, if any, go where nobody answers.
	return q, []string{"QMAILHOME=" + home, "DNSCACHEIP=127.0.0.1:1", "PATH=/usr/bin:/bin"}
}

// Quail's own qmail-remote runs inside qmail-rspawn and delivers.
func TestDeliverInProcess(t *testing.T) {
	s := testbin.StartSMTPSink(t)
	q, env := newQueue(t, s, 4711, "Subject: inside\n\nhello\n")
	rm := NewRemote(q, testbin.Path(t, "qmail-remote"), env)
	res, text := rm.Deliver(spawn.Request{Delnum: 1, ID: 4711, Sender: "a@rspawn.test", Recip: "b@far.example"})
	if res != spawn.Success {
		t.Fatalf("result %c %q", res, text)
	}
	if !strings.Contains(text, "127.0.0.1 accepted message") {
		t.Errorf("report %q", text)
	}
	if n := rm.inside.Load(); n != 1 {
		t.Errorf("%d deliveries in the process, want 1", n)
	}
	if m := s.Messages(); len(m) != 1 || !strings.Contains(m[0], "hello") {
		t.Errorf("sink got %q", m)
	}
}

// Any other program (a wrapper that signs mail, a stand-in) runs as a
// process, and is picked up when it replaces quail's while rspawn runs.
func TestOtherProgramRunsAsProcess(t *testing.T) {
	s := testbin.StartSMTPSink(t)
	q, env := newQueue(t, s, 99, "Subject: x\n\nbody\n")
	prog := filepath.Join(t.TempDir(), "qmail-remote")
	own, err := os.ReadFile(testbin.Path(t, "qmail-remote"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, own, 0o755); err != nil {
		t.Fatal(err)
	}
	rm := NewRemote(q, prog, env)
	req := spawn.Request{Delnum: 1, ID: 99, Sender: "a@rspawn.test", Recip: "b@far.example"}
	if res, text := rm.Deliver(req); res != spawn.Success || rm.inside.Load() != 1 {
		t.Fatalf("a copy of quail's qmail-remote: %c %q, %d inside", res, text, rm.inside.Load())
	}
	// A wrapper replaces it: a new file under the same name.
	wrapper := "#!/bin/sh\nprintf 'r\\0Kwrapped %s\\n\\0' \"$1\"\n"
	tmp := prog + ".new"
	if err := os.WriteFile(tmp, []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, prog); err != nil {
		t.Fatal(err)
	}
	res, text := rm.Deliver(req)
	if res != spawn.Success || text != "wrapped far.example\n" {
		t.Errorf("the wrapper: %c %q", res, text)
	}
	if n := rm.inside.Load(); n != 1 {
		t.Errorf("%d deliveries in the process after the wrapper came, want still 1", n)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("sink got %d messages, want the first only", n)
	}
}

// Many deliveries at once in one process, as qmail-send asks for up to
// concurrencyremote of them (run with -race).
func TestConcurrentInProcess(t *testing.T) {
	s := testbin.StartSMTPSink(t)
	q, env := newQueue(t, s, 7, "Subject: many\n\nsame message\n")
	rm := NewRemote(q, testbin.Path(t, "qmail-remote"), env)
	const n = 30
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := spawn.Request{Delnum: i, ID: 7, Sender: "a@rspawn.test", Recip: "r" + strconv.Itoa(i) + "@far.example"}
			if res, text := rm.Deliver(req); res != spawn.Success {
				errs <- string(res) + " " + text
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := len(s.Messages()); got != n || rm.inside.Load() != n {
		t.Errorf("sink got %d messages, %d deliveries inside, want %d", got, rm.inside.Load(), n)
	}
}
