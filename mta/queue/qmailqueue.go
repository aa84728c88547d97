package queue

import (
	"os"
	"os/user"
	"strconv"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// Death is how long qmail-queue waits for its message and envelope.
const Death = 24 * time.Hour

// QmailQueue is qmail-queue(8): the message on descriptor 0, the envelope
// on descriptor 1, the exit code says what happened; nothing is printed.
func QmailQueue(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		return ExitHome
	}
	q, err := Open(home)
	if err != nil {
		return ExitQueueDir
	}
	// Descriptors that the poller can watch get the 24-hour limit; a
	// plain file cannot block anyway.
	deadline := time.Now().Add(Death)
	inv.Stdin.SetReadDeadline(deadline)
	inv.Stdout.SetReadDeadline(deadline)

	uid := os.Getuid()
	in := &Injector{Q: q, PID: os.Getpid(), UID: uid, Caller: callerOf(uid)}
	_, err = in.Inject(inv.Stdin, inv.Stdout)
	return Code(err)
}

// callerOf names the caller as qmail-queue's Received line does, by the
// uids of qmail's users alias, qmaild and qmails.
func callerOf(uid int) int {
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
