// Package rspawn is qmail-rspawn(8): qmail-send's remote delivery
// agent, which runs qmail-remote for each delivery, inside its own process
// when the installed qmail-remote is quail's.
package rspawn

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/ownprog"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/remote"
	"github.com/quail-mta/quail/mta/spawn"
	"github.com/quail-mta/quail/mta/tcpto"
)

// Remote delivers remote mail for qmail-rspawn(8).
type Remote struct {
	Queue   *queue.Queue
	Program string // qmail-remote
	Env     []string

	own    *ownprog.Checker // is Program quail's own qmail-remote?
	seq    atomic.Int64     // stands for the pid of an in-process delivery
	inside atomic.Int64     // deliveries run in this process, for the tests
}

// NewRemote is the Remote of a qmail-rspawn running prog for the queue q
// with the environment env.
func NewRemote(q *queue.Queue, prog string, env []string) *Remote {
	rm := &Remote{Queue: q, Program: prog, Env: env, own: ownprog.For("qmail-remote")}
	rm.seq.Store(int64(os.Getpid()))
	return rm
}

// Main is qmail-rspawn(8): it reads delivery requests from
// qmail-send and runs `qmail-remote host sender recip` for each.
func Main(inv *cli.Invocation) int {
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
	prog := spawn.Program(home, "qmail-remote")
	if v, ok := inv.Getenv("QMAILREMOTE"); ok && v != "" {
		prog = v
	}
	r := NewRemote(q, prog, inv.Env)
	if err := spawn.Serve(inv.Stdin, inv.Stdout, r.Deliver); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to talk to qmail-send: %v", err)
	}
	return 0
}

// Deliver runs qmail-remote for one recipient: in this process when the
// program is quail's own qmail-remote (the same code, without a program
// start per message), else as a process.
func (rm *Remote) Deliver(r spawn.Request) (byte, string) {
	host := r.Recip
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	mess, err := os.Open(rm.Queue.Mess(r.ID))
	if err != nil {
		return spawn.Deferral, "Unable to open the message file. (#4.3.0)\n"
	}
	defer mess.Close()
	out := &spawn.Capped{}
	args := []string{rm.Program, host, r.Sender, r.Recip}
	if rm.own.InProcess(rm.Program) {
		if !rm.runOwn(args, mess, out) {
			return spawn.Deferral, "qmail-remote crashed. (#4.3.0)\n"
		}
		return spawn.RemoteResult([]byte(out.String()))
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = rm.Env
	cmd.Stdin = mess
	cmd.Stdout = out
	err = cmd.Run()
	if err != nil {
		// qmail-remote exits 0 whatever happened; any other end is a crash.
		_, text := spawn.CommandResult(err, "", "qmail-remote")
		return spawn.Deferral, text
	}
	return spawn.RemoteResult([]byte(out.String()))
}

// runOwn is qmail-remote in this goroutine; false if it crashed (a
// panic, which then defers this delivery only: ownprog.Run).
func (rm *Remote) runOwn(args []string, mess *os.File, out io.Writer) bool {
	rm.inside.Add(1)
	inv := &cli.Invocation{Name: "qmail-remote", Args: args, Env: rm.Env, Stdin: mess, Stderr: io.Discard}
	return ownprog.Run("qmail-remote", func() { remote.Run(inv, out, int(rm.seq.Add(1))) })
}
