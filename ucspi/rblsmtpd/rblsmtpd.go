package rblsmtpd

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/internal/pollable"
	"github.com/quail-mta/quail/internal/rawsys"
	"github.com/quail-mta/quail/ucspi/reuse"
)

const synopsis = "[ -b ] [ -B ] [ -c ] [ -C ] [ -t timeout ] [ -r base ] [ -a base ] [ -w delay ] [ -W ] smtpd [ arg ... ]"

// maxDeadline is the longest -t that gets a deadline, about 30 years; a
// longer one is no limit at all.
const maxDeadline = 1 << 30

// defaultTimeout is the length of a blocked session in seconds (-t).
const defaultTimeout = 60

// option is one option word, kept so that the whole command line is checked
// before anything is looked up or waited for.
type option struct {
	letter byte
	arg    string
}

// Main is rblsmtpd(1). Exit codes: 0 after a blocked session or a dropped
// client (as 0.88), 100 for a usage error, 111 when the DNS configuration is
// unusable or the program cannot be run; otherwise the program's own.
func Main(inv *cli.Invocation) int { return MainWith(inv, nil) }

// Resident is a program whose code rblsmtpd can run in its own process
// when tcpserver reuses rblsmtpd for connection after connection
// (package reuse): quail's qmail-smtpd, recognised and started by
// Program.
type Resident struct {
	Program *launch.Program
	// Serve is the program's session on in and out (pollable), with inv's
	// arguments and environment; it returns the program's exit code.
	Serve func(inv *cli.Invocation, in, out *os.File) int
}

// MainWith is Main, with the programs that may run inside rblsmtpd when
// it is reused; any other program is started for each connection.
func MainWith(inv *cli.Invocation, residents []Resident) int {
	// One of thousands of per-connection processes: one thread of Go code.
	runtime.GOMAXPROCS(1)
	w, err := reuse.FromEnv(inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	if w == nil {
		return run(inv, func(argv, env []string) (int, error) {
			return 0, pathexec.Exec(argv, env)
		})
	}
	// A resident qmail-smtpd queues in this process, one session at a
	// time, as it does in its own (smtpd.Main).
	rawsys.Enable()
	w.Loop(func(conn *os.File, env []string) int {
		sinv := *inv
		sinv.Env, sinv.Stdin, sinv.Stdout = env, conn, conn
		return run(&sinv, func(argv, env []string) (int, error) {
			return next(&sinv, argv, env, residents)
		})
	})
	return 0
}

// next runs the program after rblsmtpd for one connection of a reused
// rblsmtpd, with the connection on descriptors 0 and 1, and waits for
// it: a resident's code in this process where package launch allows it,
// anything else as a child.
func next(inv *cli.Invocation, argv, env []string, residents []Resident) (int, error) {
	prog, err := pathexec.Lookup(argv[0], env)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(prog)
	cmd.Args, cmd.Env = argv, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inv.Stdin, inv.Stdout, inv.Stderr
	var run *launch.Run
	if r := residentFor(residents, prog); r != nil {
		run, err = r.Program.Start(cmd, func(c *exec.Cmd) int {
			// Pollable (a duplicate unless it is already), for the
			// program's read deadlines.
			conn := pollable.File(inv.Stdin, "client", pollable.Sockets|pollable.Pipes)
			if conn != inv.Stdin {
				defer conn.Close()
			}
			rinv := &cli.Invocation{Name: filepath.Base(c.Args[0]), Args: c.Args, Env: c.Env,
				Stdin: conn, Stdout: conn, Stderr: inv.Stderr}
			return r.Serve(rinv, conn, conn)
		})
	} else {
		run, err = launch.Exec(cmd)
	}
	if err != nil {
		return 0, err
	}
	switch e := run.Wait(); {
	case e.Signal != 0:
		return 128 + e.Signal, nil
	case e.Crashed:
		return cli.ExitTemporary, nil
	case e.Err != nil:
		return 0, e.Err
	default:
		return e.Code, nil
	}
}

// residentFor is the resident whose program prog is, nil for none.
func residentFor(residents []Resident, prog string) *Resident {
	for i := range residents {
		if residents[i].Program.Is(prog) {
			return &residents[i]
		}
	}
	return nil
}

// run is Main with the final step, normally exec, as a parameter: the
// program after rblsmtpd runs as next(argv, env), which returns its exit
// code or why it could not run. Tests use it to see what would be run.
func run(inv *cli.Invocation, next func(argv, env []string) (int, error)) int {
	var opts []option
	p := getopt.New(inv.Args, "bBcCt:r:a:w:W")
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			return inv.Usage(synopsis)
		}
		if !ok {
			break
		}
		opts = append(opts, option{c, arg})
	}
	argv := p.Rest()
	if len(argv) == 0 {
		return inv.Usage(synopsis)
	}

	ip, _ := inv.Getenv("TCPREMOTEIP")
	var res resolver
	d := newDecider(ip, func() (resolver, error) {
		if res == nil {
			r, err := dnsclient.FromEnv(inv.Getenv)
			if err != nil {
				return nil, err
			}
			res = r
		}
		return res, nil
	})
	if v, ok := inv.Getenv("RBLSMTPD"); ok {
		d.environment(v)
	}

	timeout := uint64(defaultTimeout)
	for _, o := range opts {
		var err error
		switch o.letter {
		case 'b':
			d.rblBounce = true
		case 'B':
			d.rblBounce = false
		case 'c':
			d.failClosed = true
		case 'C':
			d.failClosed = false
		case 't':
			timeout = scanUlong(o.arg)
		case 'r':
			err = d.rbl(o.arg)
		case 'a':
			err = d.antiRBL(o.arg)
		case 'w', 'W':
			if d.state != undecided {
				continue
			}
			n := scanUlong(o.arg)
			if o.letter == 'W' {
				v, _ := inv.Getenv("GREETDELAY")
				n = scanUlong(v)
			}
			if done, code := greetDelay(inv, ip, seconds(n)); done {
				return code
			}
		}
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to read DNS configuration: %s", djberr.Text(err))
		}
	}

	if blocked, reply := d.blocked(); blocked {
		io.WriteString(inv.Stderr, logLine(ip, os.Getpid(), reply))
		session(inv, reply+"\r\n", timeout)
		return cli.ExitOK
	}
	code, err := next(argv, inv.Env)
	if err == nil {
		return code
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}

func seconds(n uint64) time.Duration {
	if n > math.MaxInt64/uint64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(n) * time.Second
}

// greetDelay holds the greeting back for d. done is true when the client
// broke the protocol or left, and code is then the exit code.
func greetDelay(inv *cli.Invocation, ip string, d time.Duration) (done bool, code int) {
	if d <= 0 {
		return false, 0
	}
	fd := int(inv.Stdin.Fd())
	s, err := waitSilent(fd, d)
	if err != nil {
		return true, inv.Fatal(cli.ExitTemporary, "unable to read from network: %s", djberr.Text(err))
	}
	switch s {
	case spoke:
		reply := pregreetReply[:len(pregreetReply)-2]
		io.WriteString(inv.Stderr, logLine(ip, os.Getpid(), reply))
		inv.Stdout.WriteString(pregreetReply)
		drainPending(fd)
		return true, cli.ExitOK
	case hungUp:
		return true, cli.ExitOK
	}
	return false, 0
}

// session holds the blocked dialogue for at most timeout seconds, or sends
// the reply alone when timeout is 0.
func session(inv *cli.Invocation, reply string, timeout uint64) {
	if timeout == 0 {
		inv.Stdout.WriteString(reply)
		return
	}
	in, out := clientFiles(inv.Stdin, inv.Stdout)
	if timeout < maxDeadline {
		deadline := time.Now().Add(seconds(timeout))
		in.SetReadDeadline(deadline)
		out.SetWriteDeadline(deadline)
	}
	serve(in, out, reply)
	for _, f := range []*os.File{in, out} {
		if f != inv.Stdin && f != inv.Stdout {
			f.Close() // a reused rblsmtpd goes on to the next connection
		}
	}
}

// clientFiles returns the client's descriptors in a form whose deadlines
// work (non-blocking, in Go's poller), as 0.88's alarm bounds reads and
// writes alike. This is safe only because nothing is executed afterwards:
// the descriptors stay non-blocking. Where that fails (a regular file, which
// never blocks anyway) the originals are used.
func clientFiles(stdin, stdout *os.File) (in, out *os.File) {
	return pollable.File(stdin, "client input", pollable.Sockets|pollable.Pipes), pollable.File(stdout, "client output", pollable.Sockets|pollable.Pipes)
}
