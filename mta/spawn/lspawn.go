package spawn

import (
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/internal/rawsys"
	"github.com/quail-mta/quail/mta/local"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/users"
)

// Local delivers local mail for qmail-lspawn(8).
type Local struct {
	Home           string
	Queue          *queue.Queue
	DefaultDeliver string // qmail-local's last argument, e.g. ./Maildir/
	Program        string // qmail-local
	SingleUser     bool
	Env            []string
	Lookup         func(home, local string) (users.Assignment, bool, error)

	own    *launch.Program // quail's qmail-local, which may run inside
	inside atomic.Int64    // deliveries run in this process, for the tests
}

// QmailLspawn is qmail-lspawn(8): it reads delivery requests from
// qmail-send and runs qmail-local for each, as the user the address
// belongs to.
func QmailLspawn(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("defaultdelivery")
	}
	home := qmailhome.Dir(inv.Getenv)
	q, err := queue.Open(home)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to open queue: %v", err)
	}
	l := &Local{
		Home: home, Queue: q, DefaultDeliver: inv.Args[1],
		Program:    Program(home, "qmail-local"),
		SingleUser: qmailhome.SingleUser(home),
		Env:        inv.Env,
		Lookup:     users.Lookup,
		own:        launch.For("qmail-local"),
	}
	if err := Serve(inv.Stdin, inv.Stdout, l.Deliver); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to talk to qmail-send: %v", err)
	}
	return 0
}

// Deliver runs one local delivery and returns its result and report:
// qmail-local's output as it wrote it ("did 1+0+0\n", or its error
// message and newline), or qmail-lspawn's own message, newline ended as
// qmail-lspawn's are, so that qmail-send's log line ends in '/' as
// qmail's does.
func (l *Local) Deliver(r Request) (byte, string) {
	local, domain := r.Recip, ""
	if i := strings.LastIndexByte(r.Recip, '@'); i >= 0 {
		local, domain = r.Recip[:i], r.Recip[i+1:]
	}
	a, ok, err := l.Lookup(l.Home, local)
	if err != nil {
		return Deferral, "Unable to look up the recipient's user. (#4.3.0)\n"
	}
	if !ok {
		return Failure, "Sorry, no mailbox here by that name. (#5.1.1)\n"
	}
	var cred *syscall.Credential
	if !l.SingleUser {
		if a.UID == 0 {
			return Deferral, "Mail to uid 0 is not delivered. (#4.3.0)\n"
		}
		if os.Getuid() == 0 {
			cred = &syscall.Credential{Uid: uint32(a.UID), Gid: uint32(a.GID), Groups: []uint32{}}
		} else if a.UID != os.Getuid() {
			return Deferral, "Unable to switch to the recipient's uid. (#4.3.0)\n"
		}
	}
	mess, err := rawsys.OpenOS(l.Queue.Mess(r.ID), os.O_RDONLY, 0)
	if err != nil {
		return Deferral, "Unable to open the message file. (#4.3.0)\n"
	}
	defer mess.Close()
	out := &Capped{}
	args := []string{"--", a.User, a.Home, local, a.Dash, a.Ext, domain, r.Sender, l.DefaultDeliver}
	cmd := exec.Command(l.Program, args...)
	cmd.Env = l.Env
	cmd.Stdin = mess
	cmd.Stdout = out
	cmd.Stderr = out
	var run *launch.Run
	if cred == nil && l.own != nil {
		// No uid to change: quail's qmail-local may run here, saving a
		// program start per delivery.
		run, err = l.own.Start(cmd, l.localInside)
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		run, err = launch.Exec(cmd)
	}
	if err != nil {
		return CommandResult(launch.Exit{Code: -1, Err: err}, "", "qmail-local")
	}
	return CommandResult(run.Wait(), out.String(), "qmail-local")
}

// localInside is qmail-local's code run for cmd in this process.
func (l *Local) localInside(cmd *exec.Cmd) int {
	l.inside.Add(1)
	inv := &cli.Invocation{Name: "qmail-local", Args: append([]string{"qmail-local"}, cmd.Args[1:]...), Env: cmd.Env,
		Stdin: cmd.Stdin.(*os.File), Stderr: cmd.Stderr}
	return local.Run(inv, cmd.Stdout)
}

// CommandResult maps how a delivery program ended to a result, with
// qmail-command(8)'s rules: 0 and 99 success; 100 and 64, 65, 70, 76,
// 77, 78, 112 permanent failure; any other code, or a signal, temporary.
func CommandResult(e launch.Exit, text, prog string) (byte, string) {
	switch {
	case e.Err != nil:
		return Deferral, "Unable to run " + prog + ". (#4.3.0)\n"
	case e.Crashed:
		return Deferral, prog + " crashed. (#4.3.0)\n"
	}
	return ExitResult(e.Code, text, prog)
}

// ExitResult is CommandResult for a program that exited with code.
func ExitResult(code int, text, prog string) (byte, string) {
	switch code {
	case 0, 99:
		return Success, text
	case 64, 65, 70, 76, 77, 78, 100, 112:
		if text == "" {
			text = prog + " failed permanently. (#5.3.0)\n"
		}
		return Failure, text
	}
	if text == "" {
		text = prog + " failed temporarily. (#4.3.0)\n"
	}
	return Deferral, text
}
