package qqueue

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/mta/queue"
)

// Program is the qmail-queue a program with the environment getenv
// runs, as qmail_open chooses it: $QMAILQUEUE if set, else
// bin/qmail-queue, a relative name being taken from the qmail home.
func Program(getenv func(string) (string, bool)) string {
	if q, ok := getenv("QMAILQUEUE"); ok && q != "" {
		return q
	}
	return "bin/qmail-queue"
}

// Command is one qmail-queue to start.
type Command struct {
	Path   string    // the program; a relative one is taken from Dir
	Env    []string  // its environment
	Dir    string    // its working directory ("": the caller's)
	Stderr io.Writer // its descriptor 2 (nil: discarded)
}

// Start runs prog with env; the caller writes the message, then closes
// it with the envelope.
func Start(prog string, env []string) (Queue, error) {
	return Command{Path: prog, Env: env}.Start()
}

// ownQueue is quail's qmail-queue, which may run inside its callers.
var ownQueue = launch.For("qmail-queue")

// Start runs the program. When c.Env names no program in QMAILQUEUE and
// the file is quail's own qmail-queue where starting it would change
// nothing (launch.Program.Inside), the message is queued by this
// process: the same code, uids and environment, without a program start
// per message. A program named in QMAILQUEUE, a wrapper installed as
// qmail-queue, and the set-uid qmail-queue of an installation with
// qmail's users are started as programs.
func (c Command) Start() (Queue, error) {
	path := c.Path
	if !filepath.IsAbs(path) && c.Dir != "" {
		path = filepath.Join(c.Dir, path)
	}
	if v, ok := cli.Lookup(c.Env, "QMAILQUEUE"); (!ok || v == "") && ownQueue.Inside(path) {
		return startInside(c.Env), nil
	}
	cmd := exec.Command(path)
	cmd.Args[0] = c.Path
	cmd.Dir, cmd.Env, cmd.Stderr = c.Dir, c.Env, c.Stderr
	return startProcess(cmd)
}

// run is one started qmail-queue, either kind.
type run struct {
	r        *launch.Run
	msg      io.WriteCloser
	env      io.WriteCloser
	finish   func() (launch.Exit, []byte) // waits for the end: how, and descriptor 6's text
	abandon  func()                       // ends the message without an envelope
	qp       int
	writeErr error
}

func (q *run) Pid() int { return q.qp }

func (q *run) Write(p []byte) (int, error) {
	if q.writeErr == nil {
		_, q.writeErr = q.msg.Write(p)
	}
	return len(p), nil
}

func (q *run) Abort() {
	q.abandon()
	q.r.Wait()
}

func (q *run) Close(sender string, recipients []string) Result {
	if hasNUL(sender, recipients) {
		q.Abort()
		return nulRefused
	}
	q.msg.Close()
	_, envErr := q.env.Write(Envelope(sender, recipients))
	q.env.Close()
	e, custom := q.finish()
	return verdict(e, custom, envErr == nil && q.writeErr == nil)
}

// startProcess runs the program cmd describes; it sets up descriptors
// 0, 1 and 6 (3, 4 and 5 are closed).
func startProcess(cmd *exec.Cmd) (Queue, error) {
	var opened []io.Closer
	fail := func(err error) (Queue, error) {
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
	cmd.ExtraFiles = []*os.File{nil, nil, nil, customW}
	r, err := launch.Exec(cmd)
	if err != nil {
		return fail(err)
	}
	envR.Close()
	customW.Close()
	q := &run{r: r, msg: msg, env: envW, qp: r.Pid()}
	// Descriptor 6 is read once the envelope is written, before the
	// wait: its text is complete when the program closes it, at its
	// exit at the latest.
	q.finish = func() (launch.Exit, []byte) {
		b, _ := io.ReadAll(io.LimitReader(customR, 1024))
		customR.Close()
		return r.Wait(), b
	}
	q.abandon = func() {
		msg.Close()
		envW.Close()
		customR.Close()
	}
	return q, nil
}

// errAborted is what the in-process qmail-queue reads when the caller
// gives the message up.
var errAborted = errors.New("message abandoned by its sender")

// errFinished is what a write gets once the in-process qmail-queue has
// finished, successfully or not.
var errFinished = errors.New("qmail-queue has finished")

// startInside queues the message with quail's qmail-queue code in a
// goroutine, fed through in-memory pipes; descriptor 6 is a buffer.
func startInside(env []string) Queue {
	msgR, msgW := io.Pipe()
	envR, envW := io.Pipe()
	getenv := func(name string) (string, bool) { return cli.Lookup(env, name) }
	// This process's pid would repeat for every message it queues.
	qp := queue.InProcessQP(os.Getpid())
	var custom bytes.Buffer
	r := ownQueue.Go(func() int {
		// Unblocks a caller still writing what will never be read,
		// after a panic too.
		defer msgR.CloseWithError(errFinished)
		defer envR.CloseWithError(errFinished)
		return queue.Run(getenv, qp, msgR, envR, &custom)
	})
	q := &run{r: r, msg: msgW, env: envW, qp: qp}
	q.finish = func() (launch.Exit, []byte) {
		e := r.Wait()
		return e, custom.Bytes()
	}
	q.abandon = func() {
		msgW.CloseWithError(errAborted)
		envW.Close()
	}
	return q
}

// Injection is one message handed to qmail-queue from a reader, as
// qmail-local's forwarding, forward(1), condredirect(1) and qreceipt(1)
// do with qmail_open in the qmail home.
type Injection struct {
	Home    string    // the qmail home: qmail-queue's working directory
	Program string    // from Program
	Env     []string  // qmail-queue's environment
	Stderr  io.Writer // qmail-queue's descriptor 2 (nil: discarded)
}

// Injected is what came of an injection.
type Injected struct {
	Result
	Pid int // the message's qp (qmail-local reports it as "qp")
}

// Run sends prefix, then msg, to qmail-queue with the envelope. A
// failure to read msg fails the injection even if qmail-queue accepted
// what it got, as qmail_fail does.
func (in Injection) Run(prefix []byte, msg io.Reader, sender string, recips []string) Injected {
	if st, err := os.Stat(in.Home); err != nil || !st.IsDir() {
		return Injected{Result: Explain(queue.ExitHome)}
	}
	q, err := Command{Path: in.Program, Env: in.Env, Dir: in.Home, Stderr: in.Stderr}.Start()
	if err != nil {
		return Injected{Result: Explain(queue.ExitNoExec)}
	}
	q.Write(prefix)
	return Injected{Result: Send(q, msg, sender, recips), Pid: q.Pid()}
}

// Send copies msg into a started qmail-queue and closes it with the
// envelope. A message that could not be read completely is never queued
// (qmail_fail): the run is abandoned with a read error.
func Send(q Queue, msg io.Reader, sender string, recips []string) Result {
	bw := bufio.NewWriterSize(q, 64<<10)
	_, rerr := io.Copy(bw, msg)
	bw.Flush()
	if rerr != nil {
		q.Abort()
		return Explain(queue.ExitRead)
	}
	return q.Close(sender, recips)
}
