package qqueue

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
)

// queueHome makes a qmail home with a queue and bin/qmail-queue, a copy
// of quail's qmail-queue with the given mode.
func queueHome(t *testing.T, mode os.FileMode) (home, prog string, q *queue.Queue) {
	t.Helper()
	home = t.TempDir()
	q, err := queue.Create(home, queue.DefaultSplit, queue.Self)
	if err != nil {
		t.Fatal(err)
	}
	prog = filepath.Join(home, "bin", "qmail-queue")
	testbin.CopyProgram(t, "qmail-queue", prog, mode)
	return home, prog, q
}

// inside says whether qq is quail's qmail-queue code in this process.
func inside(qq Queue) bool { return qq.(*run).r.Inside() }

// queued returns the one message in q's todo/ and its file's text.
func queued(t *testing.T, q *queue.Queue) (queue.ID, string) {
	t.Helper()
	ids, err := q.Todos()
	if err != nil || len(ids) != 1 {
		t.Fatalf("todo/ holds %v (%v), want one message", ids, err)
	}
	b, err := os.ReadFile(q.Mess(ids[0]))
	if err != nil {
		t.Fatal(err)
	}
	return ids[0], string(b)
}

func TestOwnQueueRunsInProcess(t *testing.T) {
	home, prog, q := queueHome(t, 0o755)
	qq, err := Start(prog, []string{"QMAILHOME=" + home})
	if err != nil {
		t.Fatal(err)
	}
	if !inside(qq) || qq.Pid() < queue.PIDLimit {
		t.Fatalf("quail's qmail-queue was started as a program (qp %d)", qq.Pid())
	}
	qq.Write([]byte("Subject: in process\n\n"))
	qq.Write([]byte(strings.Repeat("body line\n", 20000))) // more than a pipe holds
	if r := qq.Close("a@example", []string{"b@example"}); !r.OK() {
		t.Fatalf("result %+v", r)
	}
	id, mess := queued(t, q)
	want := "Received: (qmail " + strconv.Itoa(qq.Pid()) + " invoked by uid " + strconv.Itoa(os.Getuid()) + ");"
	if !strings.HasPrefix(mess, want) || !strings.Contains(mess, "\nSubject: in process\n\nbody line\n") {
		t.Errorf("message begins %.120q", mess)
	}
	info, err := os.ReadFile(q.Intd(id))
	if err != nil {
		info, err = os.ReadFile(q.Todo(id))
	}
	if err != nil || !strings.HasSuffix(string(info), "p"+strconv.Itoa(qq.Pid())+"\x00Fa@example\x00Tb@example\x00") {
		t.Errorf("envelope %q (%v)", info, err)
	}
	if ents, _ := os.ReadDir(q.Path("pid")); len(ents) != 0 {
		t.Errorf("pid/ keeps %d files", len(ents))
	}
}

// QMAILQUEUE names a program to run, even quail's own; a set-uid or
// set-gid qmail-queue changes who writes the queue, so it is run too.
func TestQueueStartedAsProgram(t *testing.T) {
	for _, c := range []struct {
		name string
		mode os.FileMode
		env  func(prog string) []string
	}{
		{"QMAILQUEUE", 0o755, func(prog string) []string { return []string{"QMAILQUEUE=" + prog} }},
		{"set-uid", 0o755 | os.ModeSetuid, nil},
		{"set-gid", 0o755 | os.ModeSetgid, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			home, prog, q := queueHome(t, c.mode)
			env := []string{"QMAILHOME=" + home}
			if c.env != nil {
				env = append(env, c.env(prog)...)
			}
			qq, err := Start(prog, env)
			if err != nil {
				t.Fatal(err)
			}
			if inside(qq) || qq.Pid() == os.Getpid() {
				t.Fatal("qmail-queue ran in this process")
			}
			qq.Write([]byte("Subject: as a program\n\nbody\n"))
			if r := qq.Close("a@example", []string{"b@example"}); !r.OK() {
				t.Fatalf("result %+v", r)
			}
			if _, mess := queued(t, q); !strings.HasPrefix(mess, "Received: (qmail "+strconv.Itoa(qq.Pid())+" ") {
				t.Errorf("message begins %.80q", mess)
			}
		})
	}
}

// A message given up half way leaves nothing behind, as a qmail-queue
// reading a closed pipe does.
func TestInProcessAbort(t *testing.T) {
	home, prog, q := queueHome(t, 0o755)
	qq, err := Start(prog, []string{"QMAILHOME=" + home})
	if err != nil {
		t.Fatal(err)
	}
	qq.Write([]byte("Subject: abandoned\n\npart"))
	qq.Abort()
	for _, d := range []string{"pid", "todo", "intd"} {
		if ents, _ := os.ReadDir(q.Path(d)); len(ents) != 0 {
			t.Errorf("%s/ keeps %d files", d, len(ents))
		}
	}
	if ids, _ := q.Messages(); len(ids) != 0 {
		t.Errorf("mess/ keeps %v", ids)
	}
}

// Failures give the exit codes qmail-queue would (an address too long
// permanent, a missing queue temporary, a scanner's hit the custom
// permanent error), and the writer never blocks on a queue that stopped
// reading.
func TestInProcessFailures(t *testing.T) {
	home, prog, q := queueHome(t, 0o755)
	scanner := filepath.Join(home, "scan")
	os.WriteFile(scanner, []byte("#!/bin/sh\nexit 1\n"), 0o755)
	long := strings.Repeat("x", 2000) + "@example"
	for _, c := range []struct {
		name   string
		env    []string
		rcpt   string
		code   int
		perm   bool
		remove bool
	}{
		{"address too long", nil, long, queue.ExitAddrTooLong, true, false},
		{"scanner hit", []string{"QHPSI=" + scanner}, "b@example", queue.ExitCustom, true, false},
		{"no queue", nil, "b@example", queue.ExitQueueDir, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.remove {
				os.Rename(q.Path(), q.Path()+".gone")
				defer os.Rename(q.Path()+".gone", q.Path())
			}
			qq, err := Start(prog, append([]string{"QMAILHOME=" + home}, c.env...))
			if err != nil {
				t.Fatal(err)
			}
			qq.Write([]byte("Subject: fails\n\n" + strings.Repeat("x", 1<<20)))
			r := qq.Close("a@example", []string{c.rcpt})
			if r.Code != c.code || r.Permanent() != c.perm || r.Text == "" {
				t.Errorf("result %+v, want code %d permanent %v", r, c.code, c.perm)
			}
		})
	}
	if ids, _ := q.Todos(); len(ids) != 0 {
		t.Errorf("todo/ holds %v", ids)
	}
}

// qmail-smtpd queues message after message in one process: each leaves
// no descriptor and no goroutine behind, whether queued or given up.
func TestInProcessLeavesNothingOpen(t *testing.T) {
	home, prog, _ := queueHome(t, 0o755)
	env := []string{"QMAILHOME=" + home}
	run := func(i int) {
		qq, err := Start(prog, env)
		if err != nil {
			t.Fatal(err)
		}
		qq.Write([]byte("Subject: " + strconv.Itoa(i) + "\n\nbody\n"))
		if i%2 == 1 {
			qq.Abort()
			return
		}
		if r := qq.Close("a@example", []string{"b@example"}); !r.OK() {
			t.Fatalf("result %+v", r)
		}
	}
	run(0)
	check := testbin.NoLeaks(t)
	for i := 1; i <= 20; i++ {
		run(i)
	}
	check()
}

// The two implementations end the same way: quail's qmail-queue run as a
// program (QMAILQUEUE names it) and its code in this process give the
// same Result for the same message, failures included.
func TestBothWaysAgree(t *testing.T) {
	home, prog, _ := queueHome(t, 0o755)
	scanner := filepath.Join(home, "scan")
	os.WriteFile(scanner, []byte("#!/bin/sh\nexit 1\n"), 0o755)
	long := strings.Repeat("x", 2000) + "@example"
	for _, c := range []struct {
		name string
		env  []string
		rcpt string
	}{
		{"queued", nil, "b@example"},
		{"address too long", nil, long},
		{"scanner hit", []string{"QHPSI=" + scanner}, "b@example"},
	} {
		var got []Result
		for _, ways := range [][]string{nil, {"QMAILQUEUE=" + prog}} {
			qq, err := Start(prog, append(append([]string{"QMAILHOME=" + home}, c.env...), ways...))
			if err != nil {
				t.Fatal(err)
			}
			if inside(qq) != (ways == nil) {
				t.Fatalf("%s: ran inside %v", c.name, inside(qq))
			}
			qq.Write([]byte("Subject: both ways\n\nbody\n"))
			got = append(got, qq.Close("a@example", []string{c.rcpt}))
		}
		if got[0] != got[1] {
			t.Errorf("%s: inside %+v, as a program %+v", c.name, got[0], got[1])
		}
	}
}

// A panic in the code run inside fails that message only, as a crashed
// program would: temporarily, and the writer is not left blocked.
func TestInsideCrash(t *testing.T) {
	e := launch.Exit{Code: -1, Crashed: true}
	if r := verdict(e, nil, true); r.OK() || r.Permanent() || r.Text != "qq crashed (#4.3.0)" {
		t.Errorf("crash: %+v", r)
	}
	if r := verdict(launch.Exit{Code: -1, Err: os.ErrNotExist}, nil, true); r.OK() || r.Permanent() || r.Text != "unable to run qq (#4.3.0)" {
		t.Errorf("not run: %+v", r)
	}
	if r := verdict(launch.Exit{}, nil, false); r.Code != queue.ExitRead {
		t.Errorf("exit 0 without the whole message: %+v", r)
	}
}
