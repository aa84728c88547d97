package queue

import (
	"errors"
	"io"
	"os"
	"os/user"
	"strconv"
	"sync"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/pollable"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/internal/rawsys"
)

// Death is how long qmail-queue waits for its message and envelope.
var Death = 24 * time.Hour

// QmailQueue is qmail-queue(8): the message on descriptor 0, the envelope
// on descriptor 1, the exit code says what happened; nothing is printed.
func QmailQueue(inv *cli.Invocation) int {
	// Pipes and sockets get the 24-hour limit through the poller; a plain
	// file cannot block anyway.
	deadline := time.Now().Add(Death)
	msg, env := pollable.File(inv.Stdin, "message", pollable.Pipes|pollable.Sockets), pollable.File(inv.Stdout, "envelope", pollable.Pipes|pollable.Sockets)
	msg.SetReadDeadline(deadline)
	env.SetReadDeadline(deadline)
	var custom io.Writer
	if f := fd6(); f != nil {
		custom = f
	}
	return Run(inv.Getenv, os.Getpid(), msg, env, custom)
}

// Run is one run of qmail-queue (Enqueue) ended as qmail-queue ends: the
// exit code. A message its scanner refused is reported on custom, the
// caller's descriptor 6 ('D' and InfectedText, exit 82), when there is
// one. A caller running this code in its own process (package qqueue)
// gets the same code and text as from the program.
func Run(getenv func(string) (string, bool), qp int, msg, env io.Reader, custom io.Writer) int {
	err := Enqueue(getenv, qp, msg, env)
	if errors.Is(err, ErrInfected) && custom != nil {
		if _, werr := io.WriteString(custom, "D"+InfectedText); werr == nil {
			return ExitCustom
		}
	}
	return Code(err)
}

// InfectedText is what qmail-queue reports on descriptor 6 (after 'D')
// for a message its scanner refused.
var InfectedText = ErrInfected.Error() + " (#5.7.1)"

// Enqueue is one run of qmail-queue by the calling process, for its uids
// and the environment getenv reads (QMAILHOME, the UCSPI variables for the
// Received line, the QHPSI scanner): the message from msg, then the
// envelope from env. qp is the message's qp, written in the Received
// line and the todo file: qmail-queue's process id, or InProcessQP's for
// a caller that runs this code itself. The error carries the exit code
// qmail-queue would give (Code).
func Enqueue(getenv func(string) (string, bool), qp int, msg, env io.Reader) error {
	home := qmailhome.Dir(getenv)
	if fi, err := rawsys.Stat(home); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return fail(ExitHome, err)
	}
	q, err := Open(home)
	if err != nil {
		return fail(ExitQueueDir, err)
	}
	uid := os.Getuid()
	caller := callerOf(uid)
	if caller == ByUID && qmailhome.SingleUser(home) {
		// One uid runs everything here, so it cannot tell the network
		// daemons apart; the UCSPI environment they pass on can.
		if _, ok := getenv("TCPREMOTEIP"); ok {
			caller = FromNet
		}
	}
	in := &Injector{Q: q, PID: qp, UID: uid, Caller: caller}
	// A set-uid qmail-queue must not run a program a local user chose:
	// the scanner comes from the environment only of a program that is
	// not set-uid, or of qmaild's network services.
	if os.Getuid() == os.Geteuid() || caller == FromNet {
		in.Scanner = ScannerFromEnv(getenv)
	}
	_, err = in.Inject(msg, env)
	return err
}

// callerOf names the caller as qmail-queue's Received line does, by the
// uids of qmail's users alias, qmaild and qmails. The answer is kept for
// the life of the process, as qmail compiles those uids in: a process
// that queues message after message (a reused qmail-smtpd, qmail-send's
// bounces) would otherwise read the user database three times for each.
func callerOf(uid int) int {
	callers.Lock()
	defer callers.Unlock()
	if c, ok := callers.m[uid]; ok {
		return c
	}
	if callers.m == nil {
		callers.m = map[int]int{}
	}
	c := lookupCaller(uid)
	callers.m[uid] = c
	return c
}

var callers struct {
	sync.Mutex
	m map[int]int
}

func lookupCaller(uid int) int {
	for _, c := range []struct {
		name   string
		caller int
	}{{"alias", ByAlias}, {"qmaild", FromNet}, {"qmails", Bounce}} {
		if u, err := user.Lookup(c.name); err == nil && u.Uid == strconv.Itoa(uid) {
			return c.caller
		}
	}
	return ByUID
}
