// Package cli is the edge between a program and the operating system: what
// the program was given (arguments, environment, standard descriptors), and
// the one shape every diagnostic takes, as daemontools, ucspi-tcp and qmail
// print them:
//
//	program: fatal: unable to <do what>: <cause>
//	program: warning: <what>
//	program: usage: program <synopsis>
//
// Packages build on an *Invocation instead of reading os.Args, os.Environ or
// os.Stderr themselves, so tests can run a program's logic in-process.
package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quail-mta/quail/internal/pollable"

	// Every program links the entry routine that checks its limits
	// before the Go runtime starts (internal/rtlimit).
	_ "github.com/quail-mta/quail/internal/rtlimit"
)

// Exit codes shared by the whole family. qmail interfaces add their own
// (qmail-queue's table, qmail-command's 99) in their packages.
const (
	ExitOK        = 0
	ExitPermanent = 100 // usage errors and permanent failures
	ExitTemporary = 111 // I/O, memory, DNS, a peer that is down
)

// Invocation is what the operating system handed a program.
type Invocation struct {
	Name   string   // fixed program name used in diagnostics
	Args   []string // the argument vector, Args[0] included
	Env    []string // the environment as KEY=value entries
	Stdin  *os.File
	Stdout *os.File
	Stderr io.Writer
}

// FromOS describes the running process under the diagnostic name name.
func FromOS(name string) *Invocation {
	return &Invocation{
		Name:   name,
		Args:   os.Args,
		Env:    os.Environ(),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}
}

// Getenv looks key up in the invocation's environment. The last entry wins,
// as getenv(3) would see after putenv.
func (inv *Invocation) Getenv(key string) (string, bool) {
	return Lookup(inv.Env, key)
}

// Fatal prints "name: fatal: <message>" and returns code, so a Main can end
// with `return inv.Fatal(cli.ExitTemporary, "unable to ...: %v", err)`.
func (inv *Invocation) Fatal(code int, format string, a ...any) int {
	inv.line("fatal: ", format, a...)
	return code
}

// Warn prints "name: warning: <message>".
func (inv *Invocation) Warn(format string, a ...any) {
	inv.line("warning: ", format, a...)
}

// Usage prints "name: usage: name <synopsis>" and returns 100.
func (inv *Invocation) Usage(synopsis string) int {
	return inv.UsageCode(ExitPermanent, synopsis)
}

// UsageCode is Usage for the few programs (envdir, envuidgid) whose usage
// error is temporary in the original.
func (inv *Invocation) UsageCode(code int, synopsis string) int {
	fmt.Fprintf(inv.Stderr, "%s: usage: %s %s\n", inv.Name, inv.Name, synopsis)
	return code
}

func (inv *Invocation) line(kind, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	// One event, one line: a cause that carries a newline must not split it.
	msg = strings.ReplaceAll(msg, "\n", " ")
	fmt.Fprintf(inv.Stderr, "%s: %s%s\n", inv.Name, kind, msg)
}

// Lookup finds key in an environment list; the last entry wins.
func Lookup(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		e := env[i]
		if len(e) > len(key) && e[len(key)] == '=' && e[:len(key)] == key {
			return e[len(key)+1:], true
		}
	}
	return "", false
}

// Setenv returns env with key set to value, replacing every earlier entry.
func Setenv(env []string, key, value string) []string {
	return append(Unsetenv(env, key), key+"="+value)
}

// Unsetenv returns env without any entry for key.
func Unsetenv(env []string, key string) []string {
	out := env[:0:0]
	for _, e := range env {
		if len(e) > len(key) && e[len(key)] == '=' && e[:len(key)] == key {
			continue
		}
		if e == key { // an entry without '=' names the key too
			continue
		}
		out = append(out, e)
	}
	return out
}

// NetStdio returns standard input and output made pollable, so that read
// deadlines work on them (a per-connection program's timeouts). Only a
// socket is changed (package pollable): a terminal or a pipe is shared
// with the shell or the pipeline that started the program (sendmail -bs
// typed by hand) and stays as it is.
func NetStdio() (in, out *os.File) {
	return netFile(os.Stdin), netFile(os.Stdout)
}

func netFile(f *os.File) *os.File { return pollable.File(f, f.Name(), pollable.Sockets) }
