package rblsmtpd

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/pathexec"
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
func Main(inv *cli.Invocation) int {
	// One of thousands of per-connection processes: one thread of Go code.
	runtime.GOMAXPROCS(1)
	return run(inv, pathexec.Exec)
}

// run is Main with the final exec as a parameter, so that tests can see what
// would be run.
func run(inv *cli.Invocation, exec func(argv, env []string) error) int {
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
			return inv.Fatal(cli.ExitTemporary, "unable to read DNS configuration: %v", err)
		}
	}

	if blocked, reply := d.blocked(); blocked {
		io.WriteString(inv.Stderr, logLine(ip, os.Getpid(), reply))
		session(inv, reply+"\r\n", timeout)
		return cli.ExitOK
	}
	err := exec(argv, inv.Env)
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", argv[0], err)
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
		return true, inv.Fatal(cli.ExitTemporary, "unable to read from network: %v", err)
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
}

// clientFiles returns the client's descriptors in a form whose deadlines
// work (non-blocking, in Go's poller), as 0.88's alarm bounds reads and
// writes alike. This is safe only because nothing is executed afterwards:
// the descriptors stay non-blocking. Where that fails (a regular file, which
// never blocks anyway) the originals are used.
func clientFiles(stdin, stdout *os.File) (in, out *os.File) {
	return pollable(stdin, "client input"), pollable(stdout, "client output")
}

func pollable(f *os.File, name string) *os.File {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return f
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return f
	}
	return os.NewFile(uintptr(fd), name)
}
