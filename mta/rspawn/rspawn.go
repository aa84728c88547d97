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
	"github.com/quail-mta/quail/internal/launch"
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

	own    *launch.Program // quail's qmail-remote, which may run inside
	seq    atomic.Int64    // stands for the pid of an in-process delivery
	inside atomic.Int64    // deliveries run in this process, for the tests
}

// NewRemote is the Remote of a qmail-rspawn running prog for the queue q
// with the environment env.
func NewRemote(q *queue.Queue, prog string, env []string) *Remote {
	rm := &Remote{Queue: q, Program: prog, Env: env, own: launch.For("qmail-remote")}
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
	cmd := exec.Command(rm.Program, host, r.Sender, r.Recip)
	cmd.Env = rm.Env
	cmd.Stdin = mess
	cmd.Stdout = out
	run, err := rm.own.Start(cmd, rm.remoteInside)
	if err != nil {
		return spawn.CommandResult(launch.Exit{Code: -1, Err: err}, "", "qmail-remote")
	}
	if e := run.Wait(); !e.OK() {
		// qmail-remote exits 0 whatever happened; any other end is a crash.
		_, text := spawn.CommandResult(e, "", "qmail-remote")
		return spawn.Deferral, text
	}
	return spawn.RemoteResult([]byte(out.String()))
}

// remoteInside is qmail-remote's code run for cmd in this process, with
// a number of its own standing for the process id.
func (rm *Remote) remoteInside(cmd *exec.Cmd) int {
	rm.inside.Add(1)
	inv := &cli.Invocation{Name: "qmail-remote", Args: cmd.Args, Env: cmd.Env, Stdin: cmd.Stdin.(*os.File), Stderr: io.Discard}
	remote.Run(inv, cmd.Stdout, int(rm.seq.Add(1)))
	return 0
}
