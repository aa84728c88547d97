package spawn

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/tcpto"
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
	// As qmail-rspawn does at start: forget the unresponsive hosts of
	// the last run, which may have come back while qmail was down.
	for _, t := range []tcpto.Table{tcpto.IPv4(home), tcpto.IPv6(home)} {
		if err := t.Clear(); err != nil && !errors.Is(err, fs.ErrNotExist) {
			inv.Warn("unable to clear %s: %v", t.Path, err)
		}
	}
	prog := Program(home, "qmail-remote")
	if v, ok := inv.Getenv("QMAILREMOTE"); ok && v != "" {
		prog = v
	}
	r := &Remote{Queue: q, Program: prog, Env: inv.Env}
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
	// Entries are NUL-terminated: at most one recipient report (r, h, s)
	// and one message report (K, Z, D). qmail-remote writes the message
	// report alone when it gave up before any recipient was tried (no
	// such host, the sender refused, a usage error); it then applies to
	// the recipient, as qmail-rspawn takes it.
	var rc, mc byte
	var rtext, mtext string
	for _, e := range bytes.Split(out, []byte{0}) {
		if len(e) == 0 {
			continue
		}
		switch e[0] {
		case 'r', 'h', 's':
			if rc == 0 {
				rc, rtext = e[0], string(e[1:])
			}
		case 'K', 'Z', 'D':
			if mc == 0 {
				mc, mtext = e[0], string(e[1:])
			}
		default:
			return Deferral, "qmail-remote produced a malformed report. (#4.3.0)"
		}
	}
	switch rc {
	case 'h':
		return Failure, rtext
	case 's':
		return Deferral, rtext
	}
	switch mc {
	case 'K':
		if rc == 'r' {
			return Success, mtext
		}
		return Deferral, "qmail-remote produced no recipient report. (#4.3.0)"
	case 'D':
		return Failure, mtext
	case 'Z':
		return Deferral, mtext
	}
	if rc == 0 {
		return Deferral, "qmail-remote produced no report. (#4.3.0)"
	}
	return Deferral, "qmail-remote produced no message report. (#4.3.0)"
}
