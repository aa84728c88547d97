// Package qqclient hands a message to qmail-queue(8) the way qmail's
// qmail_open/qmail_close do for qmail-local, forward(1) and
// condredirect(1): the program is $QMAILQUEUE if set, else
// bin/qmail-queue, run in the qmail home (a relative $QMAILQUEUE is taken
// from there too); the message goes to its fd 0, then the envelope to its
// fd 1:
//
//	F sender \0  T recipient \0 ...  \0
//
// Its exit code is turned into qmail's one-letter result: "" for success,
// "D" and a reason for a permanent failure, "Z" and a reason for a
// temporary one, with qmail's texts.
package qqclient

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/quail-mta/quail/mta/qqueue"
)

// Program returns the qmail-queue to run for a program whose environment
// lookup is getenv.
func Program(getenv func(string) (string, bool)) string {
	if q, ok := getenv("QMAILQUEUE"); ok && q != "" {
		return q
	}
	return "bin/qmail-queue"
}

// Injection is one run of qmail-queue.
type Injection struct {
	Home    string    // the qmail home: qmail-queue's working directory
	Program string    // from Program
	Env     []string  // qmail-queue's environment
	Stderr  io.Writer // qmail-queue's fd 2 (nil: discarded)
}

// Result is what came of an injection.
type Result struct {
	Pid    int    // qmail-queue's process id (qmail-local reports it as "qp")
	Status string // "" queued, or 'D'/'Z' followed by the reason
}

// OK says whether the message was queued.
func (r Result) OK() bool { return r.Status == "" }

// Permanent says whether the failure is permanent.
func (r Result) Permanent() bool { return strings.HasPrefix(r.Status, "D") }

// Reason is the failure's text without its letter.
func (r Result) Reason() string {
	if r.Status == "" {
		return ""
	}
	return r.Status[1:]
}

// Run sends prefix, then msg, to qmail-queue with the envelope. A failure
// to read msg makes the injection fail even if qmail-queue accepted what
// it got, as qmail_fail does.
func (in Injection) Run(prefix []byte, msg io.Reader, sender string, recips []string) Result {
	if st, err := os.Stat(in.Home); err != nil || !st.IsDir() {
		return Result{Status: "Zqq trouble in home directory (#4.3.0)"}
	}
	prog := in.Program
	if !filepath.IsAbs(prog) {
		prog = filepath.Join(in.Home, prog)
	}
	// quail's own qmail-queue, where starting it would change nothing,
	// runs in this process (qqueue.Start).
	q, ok := qqueue.StartInProcess(prog, in.Env)
	if !ok {
		cmd := exec.Command(prog)
		cmd.Args[0] = in.Program
		cmd.Dir = in.Home
		cmd.Env = in.Env
		cmd.Stderr = in.Stderr
		var err error
		if q, err = qqueue.StartCmd(cmd); err != nil {
			return Result{Status: "Zunable to exec qq (#4.3.0)"}
		}
	}
	res := Result{Pid: q.Pid()}
	bw := bufio.NewWriterSize(q, 64<<10)
	bw.Write(prefix)
	_, rerr := io.Copy(bw, msg)
	bw.Flush()
	if rerr != nil {
		// qmail_fail: a message that could not be read completely is
		// never queued.
		q.Abort()
		res.Status = Describe(54)
		return res
	}
	r := q.Close(sender, recips)
	switch {
	case r.OK():
	case r.Permanent:
		res.Status = "D" + r.Text
	default:
		res.Status = "Z" + r.Text
	}
	return res
}

// Describe is qmail_close's text for a qmail-queue exit code, with its
// result letter.
func Describe(code int) string {
	r := qqueue.Explain(code)
	switch {
	case r.OK():
		return ""
	case r.Permanent:
		return "D" + r.Text
	}
	return "Z" + r.Text
}
