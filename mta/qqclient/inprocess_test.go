package qqclient

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
)

// A forward from a single-user instance is queued by quail's qmail-queue
// code in this process; "qp" is the one queue.InProcessQP gave it, the
// one in the message's Received line.
func TestRunOwnQueueInProcess(t *testing.T) {
	home := t.TempDir()
	q, err := queue.Create(home, queue.DefaultSplit, queue.Self)
	if err != nil {
		t.Fatal(err)
	}
	testbin.CopyProgram(t, "qmail-queue", filepath.Join(home, "bin", "qmail-queue"), 0o755)
	in := Injection{Home: home, Program: Program(func(string) (string, bool) { return "", false }), Env: []string{"QMAILHOME=" + home}}
	r := in.Run([]byte("Delivered-To: a@example\n"), strings.NewReader("Subject: fwd\n\nbody\n"), "a@example", []string{"b@example"})
	if !r.OK() || r.Pid < queue.PIDLimit {
		t.Fatalf("result %+v, want queued in process with a qp above every pid", r)
	}
	ids, err := q.Todos()
	if err != nil || len(ids) != 1 {
		t.Fatalf("todo/ holds %v (%v)", ids, err)
	}
	mess, _ := os.ReadFile(q.Mess(ids[0]))
	if !strings.HasPrefix(string(mess), "Received: (qmail "+strconv.Itoa(r.Pid)+" invoked ") ||
		!strings.Contains(string(mess), "\nDelivered-To: a@example\nSubject: fwd\n\nbody\n") {
		t.Errorf("message %q", mess)
	}
}
