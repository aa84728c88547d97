package fastforward

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/colinmarc/cdb"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/qqueue"
)

// ExitSkipRest is qmail-command(8)'s 99: delivered, skip the rest of the
// .qmail file; fastforward -p exits with it after forwarding.
const ExitSkipRest = 99

// NoMailbox is fastforward's bounce for an address the database does not
// know, printed without the program's name.
const NoMailbox = "Sorry, no mailbox here by that name. (#5.1.1)"

// Lister is what fastforward reads: the database, and the binary mailing
// lists its commands name.
type Lister struct {
	db   *cdb.CDB
	name string
}

func (l *Lister) get(key string) ([]byte, bool, error) {
	v, err := l.db.Get(lower(key))
	if err != nil {
		return nil, false, fail(111, "unable to read %s: %s", l.name, djberr.Text(err))
	}
	return v, v != nil, nil
}

// find is findtarget: addr itself, then (wild) @host and user@, under
// the key prefix.
func (l *Lister) find(wild bool, prefix, addr string) ([]byte, bool, error) {
	if v, ok, err := l.get(prefix + addr); ok || err != nil {
		return v, ok, err
	}
	at := strings.LastIndexByte(addr, '@')
	if !wild || at < 0 {
		return nil, false, nil
	}
	if v, ok, err := l.get(prefix + addr[at:]); ok || err != nil {
		return v, ok, err
	}
	return l.get(prefix + addr[:at+1])
}

// Plan is what fastforward decided for one incoming address.
type Plan struct {
	Found    bool
	Sender   string
	Programs []string // run in this order, each "|command" or "!command"
	To       []string // in the order the original hands them to qmail-queue
}

// Expand follows the database from recipient, as fastforward does:
// commands are pushed on a stack and taken from its top; a recipient or
// list already seen is skipped; a recipient that is itself a target
// (without an owner of its own) is replaced by its commands, while one
// with an owner is forwarded to, so that mail for it goes out again with
// the owner as sender. The owner of the incoming address replaces sender
// unless the sender is empty or #@[]. run is called for each program as
// it is met (fastforward runs them before forwarding anything).
func (l *Lister) Expand(recipient, sender string, run func(cmd string) error) (*Plan, error) {
	p := &Plan{Sender: sender}
	done := map[string]bool{recipient: true}
	var todo []string
	var forward []string
	dodata := func(data []byte) error {
		for _, c := range commands(data) {
			switch c[0] {
			case '|', '!':
				if err := run(c); err != nil {
					return err
				}
			case '.', '/':
				todo = append(todo, c)
			case '&':
				if len(c) < 900 {
					todo = append(todo, c)
				}
			}
		}
		return nil
	}
	if sender != "" && sender != "#@[]" {
		if owner, ok, err := l.find(true, "?", recipient); err != nil {
			return nil, err
		} else if ok {
			p.Sender = string(owner)
		}
	}
	data, ok, err := l.find(true, ":", recipient)
	if err != nil {
		return nil, err
	}
	if !ok {
		return p, nil
	}
	p.Found = true
	if err := dodata(data); err != nil {
		return nil, err
	}
	for len(todo) > 0 {
		x := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if done[x] {
			continue
		}
		done[x] = true
		if x == "" {
			continue
		}
		if x[0] == '.' || x[0] == '/' {
			list, err := readList(x)
			if err != nil {
				return nil, err
			}
			for _, c := range commands(list) {
				if c[0] == '.' || c[0] == '/' || (c[0] == '&' && len(c) < 900) {
					todo = append(todo, c)
				}
			}
			continue
		}
		addr := x[1:]
		if _, owned, err := l.find(false, "?", addr); err != nil {
			return nil, err
		} else if !owned {
			if data, ok, err := l.find(false, ":", addr); err != nil {
				return nil, err
			} else if ok {
				if err := dodata(data); err != nil {
					return nil, err
				}
				continue
			}
		}
		forward = append(forward, addr)
	}
	for i := len(forward) - 1; i >= 0; i-- {
		p.To = append(p.To, forward[i])
	}
	return p, nil
}

// commands splits NUL-ended commands; what follows the last NUL, and
// empty commands, are not commands.
func commands(data []byte) []string {
	var out []string
	for {
		i := bytes.IndexByte(data, 0)
		if i < 0 {
			return out
		}
		if i > 0 {
			out = append(out, string(data[:i]))
		}
		data = data[i+1:]
	}
}

// readList reads a binary mailing list, which must be world-readable.
func readList(fn string) ([]byte, error) {
	f, err := os.Open(fn)
	if err != nil {
		return nil, fail(111, "unable to read %s: %s", fn, djberr.Text(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fail(111, "unable to stat %s: %s", fn, djberr.Text(err))
	}
	if st.Mode().Perm()&0o444 != 0o444 {
		return nil, fail(111, "%s is not world-readable", fn)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fail(111, "unable to read %s: %s", fn, djberr.Text(err))
	}
	return b, nil
}

// safe is fastforward's printsafe: bytes below 32, and those of 128 and
// above (negative in C's char), shown as _.
func safe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 32 || c >= 128 {
			b[i] = '_'
		}
	}
	return string(b)
}

type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// Fastforward is fastforward(1), run from .qmail-default as
// "| fastforward [ -nNpPdD ] cdb".
func Fastforward(inv *cli.Invocation) int {
	deliver, pass, useDefault := true, false, false
	p := getopt.New(inv.Args, "nNpPdD")
	for {
		opt, _, ok, err := p.Next()
		if err != nil {
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			return fastforwardUsage(inv)
		}
		if !ok {
			break
		}
		switch opt {
		case 'n':
			deliver = false
		case 'N':
			deliver = true
		case 'p':
			pass = true
		case 'P':
			pass = false
		case 'd':
			useDefault = true
		case 'D':
			useDefault = false
		}
	}
	rest := p.Rest()
	if len(rest) == 0 {
		return fastforwardUsage(inv)
	}
	okCode := 0
	if pass {
		okCode = ExitSkipRest
	}
	name := rest[0]
	f, err := os.Open(name)
	if err != nil {
		return report(inv, fail(111, "unable to read %s: %s", name, djberr.Text(err)))
	}
	defer f.Close()
	db, err := cdb.New(f, nil)
	if err != nil {
		return report(inv, fail(111, "unable to read %s: %s", name, djberr.Text(err)))
	}
	l := &Lister{db: db, name: name}

	dtline, _ := inv.Getenv("DTLINE")
	sender, ok := inv.Getenv("SENDER")
	if !ok {
		sender = "original envelope sender"
	}
	var recipient string
	if useDefault {
		x, ok := inv.Getenv("DEFAULT")
		if !ok {
			x, ok = inv.Getenv("EXT")
		}
		if !ok {
			return report(inv, fail(100, "$DEFAULT or $EXT must be set"))
		}
		host, ok := inv.Getenv("HOST")
		if !ok {
			return report(inv, fail(100, "$HOST must be set"))
		}
		recipient = x + "@" + host
	} else if recipient, ok = inv.Getenv("RECIPIENT"); !ok {
		return report(inv, fail(100, "$RECIPIENT must be set"))
	}

	errw := bufio.NewWriterSize(inv.Stderr, 256)
	defer errw.Flush()
	run := func(cmd string) error {
		if !deliver {
			errw.WriteString("run " + safe(cmd) + "\n")
			errw.Flush()
			return nil
		}
		return runProgram(inv, cmd)
	}
	plan, err := l.Expand(recipient, sender, run)
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	if err != nil {
		errw.Flush()
		return report(inv, err)
	}
	if !plan.Found {
		if pass {
			return 0
		}
		errw.WriteString(NoMailbox + "\n")
		return 100
	}
	if len(plan.To) == 0 {
		if !deliver {
			errw.WriteString("no forwarding\n")
		}
		return okCode
	}
	if !deliver {
		errw.WriteString("from <" + safe(plan.Sender) + ">\n")
		for _, to := range plan.To {
			errw.WriteString("to <" + safe(to) + ">\n")
		}
		return okCode
	}
	errw.Flush()
	in := qqueue.Injection{
		Home:    qmailhome.Dir(inv.Getenv),
		Program: qqueue.Program(inv.Getenv),
		Env:     inv.Env,
		Stderr:  inv.Stderr,
	}
	r := in.Run([]byte(dtline), readerOnly{inv.Stdin}, plan.Sender, plan.To)
	if !r.OK() {
		code := 111
		if r.Permanent() {
			code = 100
		}
		return report(inv, fail(code, "%s", r.Reason()))
	}
	fmt.Fprintf(inv.Stderr, "%s: qp %d\n", inv.Name, r.Pid)
	return okCode
}

// readerOnly hides the file's other methods, so the copy reads it from
// where the programs left it rewound.
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

func fastforwardUsage(inv *cli.Invocation) int {
	io.WriteString(inv.Stderr, "fastforward: usage: fastforward [ -nNpP ] data.cdb\n")
	return 100
}

// runProgram runs "|command" as sh -c command, "!command" as preline sh
// -c command, on the message, then rewinds it. Exit codes 64, 65, 70,
// 76, 77, 78, 100 and 112 are permanent failures (sendmail's and qmail's
// ones), 0 goes on, anything else is temporary; the exit code comes back
// as an exitCode error.
func runProgram(inv *cli.Invocation, cmd string) error {
	argv := []string{"sh", "-c", cmd[1:]}
	if cmd[0] == '!' {
		argv = append([]string{"preline"}, argv...)
	}
	path, err := pathexec.Lookup(argv[0], inv.Env)
	if err != nil {
		return fail(111, "unable to run %s: %s", cmd, djberr.Text(err))
	}
	c := exec.Command(path, argv[1:]...)
	c.Args[0] = argv[0]
	c.Env = inv.Env
	c.Stdin = inv.Stdin
	c.Stdout = inv.Stdout
	c.Stderr = inv.Stderr
	err = c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && !ee.Exited():
		return fail(111, "child crashed in %s: %s", cmd, ee.String())
	case errors.As(err, &ee):
		switch ee.ExitCode() {
		case 64, 65, 70, 76, 77, 78, 112, 100:
			return exitCode(100)
		}
		return exitCode(111)
	default:
		return fail(111, "unable to run %s: %s", cmd, djberr.Text(err))
	}
	if _, err := inv.Stdin.Seek(0, io.SeekStart); err != nil {
		return fail(111, "unable to rewind input: %s", djberr.Text(err))
	}
	return nil
}
