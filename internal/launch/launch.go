// Package launch starts the helper programs quail's programs run (qmail-
// queue for every program that injects mail, qmail-local for
// qmail-lspawn, qmail-remote for qmail-rspawn, qmail-smtpd for a reused
// rblsmtpd) either as processes, as qmail does, or, when starting the
// program would change nothing, as the program's code in the caller's
// process. Starting changes nothing when the file to run is quail's own
// program of that name (package ownprog) and neither set-uid nor
// set-gid: the same code would run with the same ids and environment.
// A wrapper an administrator installed in its place, or qmail's own
// program, is always started.
//
// Both ways go through one interface, Start, and end the same way
// (Exit): the exit code, or a crash (a signal for a process, a panic
// for code run inside, which ends only that run: it is logged as the
// program's crash would be, and the caller fails that one message or
// delivery and goes on).
//
// In-process running is on unless the programs were linked with
//
//	-X github.com/quail-mta/quail/internal/launch.InProcess=no
//
// (make INPROCESS=no): then every helper is started as a program, the
// plain exec chain of qmail's documentation. CI runs the end-to-end
// tests that way too.
package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/quail-mta/quail/internal/ownprog"
)

// InProcess is the link-time switch: "no" turns in-process running off
// everywhere.
var InProcess = "yes"

// Enabled says whether helpers may run inside their callers at all.
func Enabled() bool { return InProcess != "no" }

// Program is one of quail's programs that its callers may run inside
// themselves. A Program is safe for concurrent use.
type Program struct {
	name string
	own  *ownprog.Checker
}

// For is quail's program name ("qmail-queue").
func For(name string) *Program {
	return &Program{name: name, own: ownprog.For(name)}
}

// Name is the program's name.
func (p *Program) Name() string { return p.name }

// Inside says whether running the file path as this program runs its
// code in the caller: in-process running is on, and path is quail's
// program, neither set-uid nor set-gid.
func (p *Program) Inside(path string) bool {
	return Enabled() && p.own.InProcess(path)
}

// Is says whether path is quail's program, whatever its mode.
func (p *Program) Is(path string) bool { return p.own.Is(path) }

// Main is the program's code as its caller runs it: it gets what the
// process would have been given, in cmd (arguments, environment,
// directory, standard input, output and error), and returns the exit
// code.
type Main func(cmd *exec.Cmd) int

// Start runs cmd: through main in a goroutine of this process when
// p.Inside(cmd.Path), else as a process. The caller waits with Wait.
func (p *Program) Start(cmd *exec.Cmd, main Main) (*Run, error) {
	if p.Inside(cmd.Path) {
		return p.Go(func() int { return main(cmd) }), nil
	}
	return Exec(cmd)
}

// Run is one started program.
type Run struct {
	cmd  *exec.Cmd // a process
	done chan Exit // the code run inside
	exit *Exit
}

// Exit is how a program ended.
type Exit struct {
	Code    int   // its exit code; -1 when it did not exit
	Signal  int   // the signal that ended a process, 0 for none
	Crashed bool  // it died by a signal, or panicked inside its caller
	Err     error // it could not be run or waited for (then Code is -1)
}

// OK says whether the program exited 0.
func (e Exit) OK() bool { return e.Code == 0 && !e.Crashed && e.Err == nil }

// Exec starts cmd as a process.
func Exec(cmd *exec.Cmd) (*Run, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Run{cmd: cmd}, nil
}

// Go runs main, p's code, in a goroutine, as Start does for a program
// that runs inside. A panic ends only this run (see Contain).
func (p *Program) Go(main func() int) *Run {
	done := make(chan Exit, 1)
	go func() {
		code := -1
		if !Contain(p.name, func() { code = main() }) {
			done <- Exit{Code: -1, Crashed: true}
			return
		}
		done <- Exit{Code: code}
	}()
	return &Run{done: done}
}

// Inside says whether the run is code in this process.
func (r *Run) Inside() bool { return r.cmd == nil }

// Pid is the process's id, or this process's for code run inside.
func (r *Run) Pid() int {
	if r.cmd == nil {
		return os.Getpid()
	}
	return r.cmd.Process.Pid
}

// Wait waits for the program to end and says how it did; it may be
// called again for the same answer.
func (r *Run) Wait() Exit {
	if r.exit != nil {
		return *r.exit
	}
	var e Exit
	if r.cmd == nil {
		e = <-r.done
	} else {
		e = ExitOf(r.cmd.Wait())
	}
	r.exit = &e
	return e
}

// ExitOf reads a process's end from exec's error, the exit code before
// the error (an unsuccessful exit is an answer, not a failure to run).
func ExitOf(err error) Exit {
	if err == nil {
		return Exit{}
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return Exit{Code: -1, Err: err}
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return Exit{Code: ee.ExitCode()}
	case ws.Signaled():
		return Exit{Code: -1, Signal: int(ws.Signal()), Crashed: true}
	case !ws.Exited():
		return Exit{Code: -1, Crashed: true}
	}
	return Exit{Code: ws.ExitStatus()}
}

// Contain calls f, the code of quail's program name running inside its
// caller. A panic, which would have ended that program's process, ends
// only this call: it is logged on standard error as the program's crash
// would be, and Contain returns false.
func Contain(name string, f func()) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "%s: warning: %s crashed: %v\n", filepath.Base(os.Args[0]), name, p)
			ok = false
		}
	}()
	f()
	return true
}

// stderr is where Contain logs.
var stderr io.Writer = os.Stderr
