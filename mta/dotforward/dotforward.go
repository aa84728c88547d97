// Package dotforward is dot-forward 0.71 (D. J. Bernstein's reader of
// sendmail's .forward files for qmail), run from a .qmail file:
//
//	|dot-forward .forward
//	./Mailbox
//
// or as qmail-start's default delivery, '|dot-forward .forward
// ./Mailbox'. Each file named is read in turn; a missing one is skipped.
// Its lines (but those starting with #, up to the first empty one) are
// RFC 822 address lists, read with qmail's token822 as newaliases reads
// /etc/aliases:
//
//   - an address is forwarded to, completed by control/defaulthost,
//     defaultdomain and plusdomain as qmail-inject completes addresses;
//   - |command is run at once by /bin/sh, the message on its input with
//     UFLINE, RPLINE and DTLINE in front;
//   - the user's own name ($USER, or $USER@$HOST; \user in sendmail's
//     words) means direct delivery: dot-forward exits 0 after forwarding,
//     and qmail-local goes on with the next line of the .qmail file;
//   - /file deliveries are refused.
//
// A file that forwarded or ran something makes dot-forward exit 99, so
// qmail-local skips the rest of the .qmail file; without any file that
// did, it exits 0. -n prints what it would do instead.
package dotforward

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/fastforward"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/token822"
)

// Exit codes: qmail-command(8)'s.
const (
	ExitDirect   = 0  // no forwarding, or the user's own name: go on
	ExitSkipRest = 99 // forwarded: skip the rest of the .qmail file
)

// Action is one thing a .forward line asks for.
type Action struct {
	Kind string // "forward", "program" or "direct"
	Arg  string // the completed address, or the command
}

// Reader reads .forward files for one user.
type Reader struct {
	User, Host string
	Defaults   fastforward.Defaults
}

// Failure is a fatal error with its exit code and text.
type Failure struct {
	Code int
	Text string
}

func (f *Failure) Error() string { return f.Text }

func fail(code int, format string, a ...any) *Failure {
	return &Failure{Code: code, Text: fmt.Sprintf(format, a...)}
}

// Line turns one line of a .forward file into its actions, rightmost
// address first as dot-forward takes them.
func (r Reader) Line(line []byte, act func(Action) error) error {
	toks, ok := token822.Parse(line)
	parseErr := fail(111, "unable to parse this line: %s", line)
	if !ok {
		return parseErr
	}
	err := token822.List(toks, false, func(it token822.Item) error {
		text := string(it.Text())
		if text == "" {
			return nil
		}
		hasAt := it.HasAt()
		if !hasAt && strings.EqualFold(text, r.User) {
			return act(Action{Kind: "direct"})
		}
		if hasAt && len(text) == len(r.User)+1+len(r.Host) && text[len(r.User)] == '@' &&
			strings.EqualFold(text[:len(r.User)], r.User) && strings.EqualFold(text[len(r.User)+1:], r.Host) {
			return act(Action{Kind: "direct"})
		}
		if !hasAt && text[0] == '/' {
			return fail(111, "file delivery %s not supported", text)
		}
		if !hasAt && text[0] == '|' {
			return act(Action{Kind: "program", Arg: text[1:]})
		}
		if !hasAt {
			text += "@" + r.Defaults.Host
		}
		return act(Action{Kind: "forward", Arg: r.Defaults.Complete(text)})
	})
	if errors.Is(err, token822.ErrParse) {
		return parseErr
	}
	return err
}

// File reads a .forward file: its lines up to the first empty one, those
// starting with # skipped. exists is false for a file that is not there.
func (r Reader) File(name string, act func(Action) error) (exists bool, err error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fail(111, "unable to open %s: %s", name, djberr.Text(err))
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256)
	for {
		line, rerr := br.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return true, fail(111, "unable to read %s: %s", name, djberr.Text(rerr))
		}
		if len(line) == 0 {
			return true, nil
		}
		if line[0] != '#' {
			if err := r.Line(line, act); err != nil {
				return true, err
			}
		}
		if rerr == io.EOF {
			return true, nil
		}
	}
}

type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// DotForward is dot-forward(1).
func DotForward(inv *cli.Invocation) int {
	deliver := true
	p := getopt.New(inv.Args, "nN")
	for {
		opt, _, ok, err := p.Next()
		if err != nil {
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			io.WriteString(inv.Stderr, "dot-forward: usage: dot-forward [ -nN ] file ...\n")
			return 100
		}
		if !ok {
			break
		}
		deliver = opt == 'N'
	}
	env := func(k string) string { v, _ := inv.Getenv(k); return v }
	home := qmailhome.Dir(inv.Getenv)
	d, err := fastforward.ReadDefaults(home)
	if err != nil {
		var ff *fastforward.Failure
		errors.As(err, &ff)
		return report(inv, fail(ff.Code, "%s", ff.Text))
	}
	r := Reader{User: env("USER"), Host: env("HOST"), Defaults: d}
	prefix := env("UFLINE") + env("RPLINE") + env("DTLINE")
	warn := func(s string) { io.WriteString(inv.Stderr, s+"\n") }

	for _, name := range p.Rest() {
		var targets []string
		acted, direct := false, false
		exists, err := r.File(name, func(a Action) error {
			switch a.Kind {
			case "direct":
				acted, direct = true, true
			case "program":
				acted = true
				if !deliver {
					warn("pipe through " + a.Arg)
					return nil
				}
				return runProgram(inv, a.Arg, prefix)
			case "forward":
				targets = append(targets, a.Arg)
				if !deliver {
					warn("forward " + a.Arg)
				}
			}
			return nil
		})
		var code exitCode
		if errors.As(err, &code) {
			return int(code)
		}
		if err != nil {
			return report(inv, err)
		}
		if !exists {
			continue
		}
		if len(targets) > 0 {
			acted = true
			if deliver {
				if code := forward(inv, home, env("DTLINE"), env("NEWSENDER"), targets); code != 0 {
					return code
				}
			}
		}
		if direct {
			if !deliver {
				warn("direct delivery")
			}
			return ExitDirect
		}
		if !acted {
			if !deliver {
				warn("skipping empty file " + name)
			}
			continue
		}
		return ExitSkipRest
	}
	if !deliver {
		warn("direct delivery")
	}
	return ExitDirect
}

func report(inv *cli.Invocation, err error) int {
	var f *Failure
	if !errors.As(err, &f) {
		f = fail(111, "%s", err.Error())
	}
	io.WriteString(inv.Stderr, inv.Name+": fatal: "+f.Text+"\n")
	return f.Code
}

// forward queues the message (DTLINE in front) for targets, in the order
// the file gave them.
func forward(inv *cli.Invocation, home, dtline, sender string, targets []string) int {
	if _, err := inv.Stdin.Seek(0, io.SeekStart); err != nil {
		return report(inv, fail(111, "unable to rewind input: %s", djberr.Text(err)))
	}
	in := qqueue.Injection{
		Home:    home,
		Program: qqueue.Program(inv.Getenv),
		Env:     inv.Env,
		Stderr:  inv.Stderr,
	}
	res := in.Run([]byte(dtline), readerOnly{inv.Stdin}, sender, targets)
	if !res.OK() {
		code := 111
		if res.Permanent() {
			code = 100
		}
		return report(inv, fail(code, "unable to forward message: %s", res.Reason()))
	}
	fmt.Fprintf(inv.Stderr, "%s: info: qp %d\n", inv.Name, res.Pid)
	return 0
}

type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// runProgram runs /bin/sh -c command with UFLINE, RPLINE, DTLINE and the
// message on its input through a pipe, then rewinds the message. 64, 65,
// 70, 76, 77, 78, 100 and 112 are permanent failures, 0 goes on,
// anything else is temporary.
func runProgram(inv *cli.Invocation, command, prefix string) error {
	c := exec.Command("/bin/sh", "-c", command)
	c.Env = inv.Env
	c.Stdout = inv.Stdout
	c.Stderr = inv.Stderr
	w, err := c.StdinPipe()
	if err != nil {
		return fail(111, "unable to create pipe: %s", djberr.Text(err))
	}
	if err := c.Start(); err != nil {
		return fail(111, "unable to run /bin/sh: %s", djberr.Text(err))
	}
	// Whatever the command does not read is thrown away, as the
	// original's blind writes do.
	bw := blindWriter{w}
	io.WriteString(bw, prefix)
	_, rerr := io.Copy(bw, readerOnly{inv.Stdin})
	w.Close()
	err = c.Wait()
	if rerr != nil {
		return fail(111, "unable to read message: %s", djberr.Text(rerr))
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && !ee.Exited():
		return fail(111, "child crashed")
	case errors.As(err, &ee):
		switch ee.ExitCode() {
		case 64, 65, 70, 76, 77, 78, 100, 112:
			return exitCode(100)
		}
		return exitCode(111)
	default:
		return fail(111, "unable to run /bin/sh: %s", djberr.Text(err))
	}
	if _, err := inv.Stdin.Seek(0, io.SeekStart); err != nil {
		return fail(111, "unable to rewind input: %s", djberr.Text(err))
	}
	return nil
}

// blindWriter drops write errors (a command that stops reading).
type blindWriter struct{ w io.Writer }

func (b blindWriter) Write(p []byte) (int, error) {
	b.w.Write(p)
	return len(p), nil
}
