package spawn

import (
	"bytes"
	"os"
	"os/exec"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/queue"
)

// Remote delivers remote mail for qmail-rspawn(8).
type Remote struct {
	Queue   *queue.Queue
	Program string // qmail-remote
	Env     []string
}

// QmailRspawn is qmail-rspawn(8): it reads delivery requests from
// qmail-send and runs `qmail-remote host sender recip` for each.
func QmailRspawn(inv *cli.Invocation) int {
	home := qmailhome.Dir(inv.Getenv)
	q, err := queue.Open(home)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to open queue: %v", err)
	}
	r := &Remote{Queue: q, Program: Program(home, "qmail-remote"), Env: inv.Env}
	if err := Serve(inv.Stdin, inv.Stdout, r.Deliver); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to talk to qmail-send: %v", err)
	}
	return 0
}

// Deliver runs qmail-remote for one recipient.
func (rm *Remote) Deliver(r Request) (byte, string) {
	host := r.Recip
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	mess, err := os.Open(rm.Queue.Mess(r.ID))
	if err != nil {
		return Deferral, "Unable to open the message file. (#4.3.0)"
	}
	defer mess.Close()
	out := &capped{}
	cmd := exec.Command(rm.Program, host, r.Sender, r.Recip)
	cmd.Env = rm.Env
	cmd.Stdin = mess
	cmd.Stdout = out
	err = cmd.Run()
	if err != nil {
		// qmail-remote exits 0 whatever happened; any other end is a crash.
		_, text := CommandResult(err, "", "qmail-remote")
		return Deferral, text
	}
	return RemoteResult([]byte(out.String()))
}

// RemoteResult reads qmail-remote's output for one recipient: the
// recipient's report (r accepted, h refused for good, s refused for now)
// and then the message's (K, Z or D), each a letter, text and NUL. A
// refused recipient decides the result; an accepted one takes the
// message's. Anything else is a temporary failure.
func RemoteResult(out []byte) (byte, string) {
	parts := bytes.SplitN(out, []byte{0}, 3)
	if len(parts) < 2 || len(parts[0]) == 0 {
		return Deferral, "qmail-remote produced no recipient report. (#4.3.0)"
	}
	rc, rtext := parts[0][0], string(parts[0][1:])
	switch rc {
	case 'h':
		return Failure, rtext
	case 's':
		return Deferral, rtext
	case 'r':
	default:
		return Deferral, "qmail-remote produced a malformed report. (#4.3.0)"
	}
	if len(parts) < 3 || len(parts[1]) == 0 {
		return Deferral, "qmail-remote produced no message report. (#4.3.0)"
	}
	mc, mtext := parts[1][0], string(parts[1][1:])
	switch mc {
	case 'K':
		return Success, mtext
	case 'D':
		return Failure, mtext
	case 'Z':
		return Deferral, mtext
	}
	return Deferral, "qmail-remote produced a malformed report. (#4.3.0)"
}
