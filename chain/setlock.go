package chain

import (
	"fmt"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
)

const setlockUsage = "[ -nNxX ] file program [ arg ... ]"

// Setlock runs setlock(8): setlock [-nNxX] file child. It opens file for
// appending (creating it, mode 0600), takes an exclusive flock(2) on it,
// waiting for it unless -n, and runs child with the descriptor still open,
// so the lock lasts as long as child and whatever inherits the descriptor.
// With -x a failure to open or lock exits 0 silently instead of 111.
// Usage errors exit 100.
func Setlock(inv *cli.Invocation) int {
	nodelay, quiet := false, false
	p := getopt.New(inv.Args, "nNxX")
	for {
		opt, _, ok, err := p.Next()
		if err != nil {
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			return inv.Usage(setlockUsage)
		}
		if !ok {
			break
		}
		switch opt {
		case 'n':
			nodelay = true
		case 'N':
			nodelay = false
		case 'x':
			quiet = true
		case 'X':
			quiet = false
		}
	}
	rest := p.Rest()
	if len(rest) < 2 {
		return inv.Usage(setlockUsage)
	}
	file, argv := rest[0], rest[1:]

	// Not close-on-exec: the child must inherit the locked descriptor.
	// A raw open also keeps the file out of Go's poller.
	fd, err := retryEINTR(func() (int, error) {
		return syscall.Open(file, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_APPEND|syscall.O_CREAT, 0600)
	})
	if err != nil {
		if quiet {
			return cli.ExitOK
		}
		return inv.Fatal(cli.ExitTemporary, "unable to open %s: %s", file, djberr.Text(err))
	}
	how := syscall.LOCK_EX
	if nodelay {
		how |= syscall.LOCK_NB
	}
	// The runtime's preemption signals can interrupt a waiting flock.
	_, err = retryEINTR(func() (int, error) { return 0, syscall.Flock(fd, how) })
	if err != nil {
		if quiet {
			return cli.ExitOK
		}
		return inv.Fatal(cli.ExitTemporary, "unable to lock %s: %s", file, djberr.Text(err))
	}
	err = execChild(argv, inv.Env, inv.Env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}
