// Package qqueue runs qmail-queue (or the program named by $QMAILQUEUE) the
// way every qmail program that injects mail does: the message is streamed
// to its descriptor 0 while it arrives, then the envelope
// (Fsender\0Trecip\0...\0) is written to descriptor 1, and the exit code is
// turned into the text qmail's programs report (qmail.c's qmail_close).
//
// With the custom-error extension (exit 82) the text comes from the
// program itself on descriptor 6: 'D' then text for a permanent failure,
// 'Z' then text for a temporary one.
package qqueue

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/mta/queue"
)

// Result is qmail-queue's verdict.
type Result struct {
	Code      int    // exit code; -1 when the program did not run or died by a signal
	Permanent bool   // whether the failure is permanent (never for success)
	Text      string // qmail's text with its enhanced status code, "" on success
}

// OK says whether the message is safely queued.
func (r Result) OK() bool { return r.Code == 0 }

// Infected says whether quail's qmail-queue refused the message because
// its QHPSI scanner found a virus, whether it ran as a program (custom
// error on descriptor 6) or in the caller's process.
func (r Result) Infected() bool {
	return r.Code == queue.ExitCustom && r.Permanent && r.Text == queue.InfectedText
}

// Explain maps an exit code to qmail's wording (qmail-queue(8)).
func Explain(code int) Result {
	r := Result{Code: code}
	switch code {
	case 0:
		return r
	case 11, 115: // 115: what old qmail-queues exit with
		r.Text = "envelope address too long for qq (#5.1.3)"
	case 31:
		r.Text = "mail server permanently rejected message (#5.3.0)"
	case 51:
		r.Text = "qq out of memory (#4.3.0)"
	case 52:
		r.Text = "qq timeout (#4.3.0)"
	case 53:
		r.Text = "qq write error or disk full (#4.3.0)"
	case 54:
		r.Text = "qq read error (#4.3.0)"
	case 55:
		r.Text = "qq unable to read configuration (#4.3.0)"
	case 56:
		r.Text = "qq trouble making network connection (#4.3.0)"
	case 61:
		r.Text = "qq trouble in home directory (#4.3.0)"
	case 62, 63, 64, 65, 66:
		r.Text = "qq trouble creating files in queue (#4.3.0)"
	case 71:
		r.Text = "mail server temporarily rejected message (#4.3.0)"
	case 72:
		r.Text = "connection to mail server timed out (#4.4.1)"
	case 73:
		r.Text = "connection to mail server rejected (#4.4.1)"
	case 74:
		r.Text = "communication with mail server failed (#4.4.2)"
	case 81, 91:
		r.Text = "qq internal bug (#4.3.0)"
	case 120:
		r.Text = "unable to exec qq (#4.3.0)"
	default:
		if code >= 11 && code <= 40 {
			r.Text = "qq permanent problem (#5.3.0)"
		} else {
			r.Text = "qq temporary problem (#4.3.0)"
		}
	}
	r.Permanent = code >= 11 && code <= 40 || code == 115
	return r
}

// Envelope encodes sender and recipients as qmail-queue reads them.
func Envelope(sender string, recipients []string) []byte {
	var b bytes.Buffer
	b.WriteByte('F')
	b.WriteString(sender)
	b.WriteByte(0)
	for _, r := range recipients {
		b.WriteByte('T')
		b.WriteString(r)
		b.WriteByte(0)
	}
	b.WriteByte(0)
	return b.Bytes()
}

// Queue is one running qmail-queue: a process, or quail's qmail-queue
// code in a goroutine of this one.
type Queue struct {
	cmd      *exec.Cmd
	msg      io.WriteCloser
	env      io.WriteCloser // the envelope's pipe
	custom   *os.File       // our end of descriptor 6 (a process only)
	done     chan error     // the goroutine's verdict (in this process only)
	qp       int            // the message's qp (in this process only)
	writeErr error
}

// ownQueue is quail's qmail-queue, which may run inside its callers.
var ownQueue = launch.For("qmail-queue")

// Start runs the queue program prog with env. The caller writes the
// message with Write, then calls Close with the envelope.
//
// When env names no program in QMAILQUEUE, prog is quail's own
// qmail-queue and it is neither set-uid nor set-gid, the message is
// queued by this process: starting the program would change nothing
// (the same code, uids and environment) but cost a program start per
// message. A program named in QMAILQUEUE, a wrapper installed as
// qmail-queue, and the set-uid qmail-queue of an installation with
// qmail's users are always started as programs.
func Start(prog string, env []string) (*Queue, error) {
	if q, ok := StartInProcess(prog, env); ok {
		return q, nil
	}
	cmd := exec.Command(prog)
	cmd.Env = env
	return StartCmd(cmd)
}

// StartInProcess queues the message in this process where Start would,
// and reports whether it does; otherwise the caller starts prog itself.
func StartInProcess(prog string, env []string) (*Queue, bool) {
	if !inProcess(prog, env) {
		return nil, false
	}
	return startInProcess(env), true
}

func inProcess(prog string, env []string) bool {
	if v, ok := cli.Lookup(env, "QMAILQUEUE"); ok && v != "" {
		return false
	}
	return ownQueue.Inside(prog)
}

// errAborted is what the in-process qmail-queue reads when the caller
// gives the message up.
var errAborted = errors.New("message abandoned by its sender")

// errFinished is what a write gets once the in-process qmail-queue has
// finished, successfully or not.
var errFinished = errors.New("qmail-queue has finished")

// errCrashed is the error of an in-process qmail-queue that panicked.
var errCrashed = errors.New("qmail-queue crashed")

func startInProcess(env []string) *Queue {
	msgR, msgW := io.Pipe()
	envR, envW := io.Pipe()
	done := make(chan error, 1)
	getenv := func(name string) (string, bool) { return cli.Lookup(env, name) }
	// This process's pid would repeat for every message it queues.
	qp := queue.InProcessQP(os.Getpid())
	go func() {
		var err error
		if !launch.Contain("qmail-queue", func() { err = queue.Enqueue(getenv, qp, msgR, envR) }) {
			// Fails this message only, as a crashed qmail-queue would
			// (temporarily), and qmail-smtpd's session goes on.
			err = &queue.Error{Code: queue.ExitBug, Err: errCrashed}
		}
		// Unblocks a caller still writing what will never be read.
		msgR.CloseWithError(errFinished)
		envR.CloseWithError(errFinished)
		done <- err
	}()
	return &Queue{msg: msgW, env: envW, done: done, qp: qp}
}

// StartCmd runs a queue program the caller has prepared (its path,
// argument zero, directory, environment and standard error); StartCmd
// sets up descriptors 0, 1 and 6.
func StartCmd(cmd *exec.Cmd) (*Queue, error) {
	var opened []io.Closer
	fail := func(err error) (*Queue, error) {
		for _, c := range opened {
			c.Close()
		}
		return nil, err
	}
	msg, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	opened = append(opened, msg)
	envR, envW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	opened = append(opened, envR, envW)
	customR, customW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	opened = append(opened, customR, customW)
	cmd.Stdout = envR
	// Descriptors 3, 4 and 5 are closed; 6 carries custom errors.
	cmd.ExtraFiles = []*os.File{nil, nil, nil, customW}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	envR.Close()
	customW.Close()
	return &Queue{cmd: cmd, msg: msg, env: envW, custom: customR}, nil
}

// Pid is the message's qp, which qmail-smtpd reports and the Received
// line and qmail-send's info msg line give: the queue program's process
// id, or, when the message is queued in this process, the number
// queue.InProcessQP gave it.
func (q *Queue) Pid() int {
	if q.cmd == nil {
		return q.qp
	}
	return q.cmd.Process.Pid
}

// Write streams message bytes. A write error (qmail-queue gave up early)
// is remembered and the rest discarded, so the caller can keep reading the
// client's DATA and report the outcome at the end, as qmail-smtpd does.
func (q *Queue) Write(p []byte) (int, error) {
	if q.writeErr == nil {
		_, q.writeErr = q.msg.Write(p)
	}
	return len(p), nil
}

// Abort ends the queue program without queueing: the message is closed
// without an envelope, which qmail-queue treats as a read error.
func (q *Queue) Abort() {
	if q.done != nil {
		q.msg.(*io.PipeWriter).CloseWithError(errAborted)
		q.env.Close()
		<-q.done
		return
	}
	q.msg.Close()
	q.env.Close()
	q.custom.Close()
	q.cmd.Wait()
}

// Close ends the message, writes the envelope and waits for the verdict.
func (q *Queue) Close(sender string, recipients []string) Result {
	if strings.IndexByte(sender, 0) >= 0 || containsNUL(recipients) {
		// The NUL would end the address in the envelope and let the
		// rest pass for more addresses; the message is not queued.
		q.Abort()
		return Result{Code: -1, Permanent: true, Text: "envelope address contains a NUL byte (#5.1.3)"}
	}
	q.msg.Close()
	_, envErr := q.env.Write(Envelope(sender, recipients))
	q.env.Close()
	if q.done != nil {
		// The verdict alone counts: success means the whole message
		// and a complete envelope were read, whatever the last write saw.
		return inProcessResult(<-q.done)
	}
	custom, _ := io.ReadAll(io.LimitReader(q.custom, 1024))
	q.custom.Close()
	err := q.cmd.Wait()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return Result{Code: -1, Text: "unable to run qq (#4.3.0)"}
		}
		ws, ok := ee.Sys().(syscall.WaitStatus)
		if !ok || !ws.Exited() {
			return Result{Code: -1, Text: "qq crashed (#4.3.0)"}
		}
		code = ws.ExitStatus()
	}
	if code == 82 {
		return customResult(custom)
	}
	if code == 0 && (envErr != nil || q.writeErr != nil) {
		// As qmail_close: a message or envelope we could not hand over
		// completely is not queued, whatever the program said.
		return Explain(54)
	}
	return Explain(code)
}

func inProcessResult(err error) Result {
	if errors.Is(err, queue.ErrInfected) {
		return Result{Code: queue.ExitCustom, Permanent: true, Text: queue.InfectedText}
	}
	return Explain(queue.Code(err))
}

func containsNUL(addrs []string) bool {
	for _, a := range addrs {
		if strings.IndexByte(a, 0) >= 0 {
			return true
		}
	}
	return false
}

func customResult(b []byte) Result {
	s := strings.TrimRight(string(b), "\x00\r\n")
	switch {
	case strings.HasPrefix(s, "D"):
		return Result{Code: 82, Permanent: true, Text: s[1:]}
	case strings.HasPrefix(s, "Z"):
		return Result{Code: 82, Text: s[1:]}
	}
	return Result{Code: 82, Text: "qq temporary problem (#4.3.0)"}
}
