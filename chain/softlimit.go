package chain

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
)

const softlimitUsage = "[-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"

// softlimitResources maps each option to the limits it lowers, in the
// order the original sets them. Linux has no RLIMIT_VMEM; RLIMIT_AS is it.
var softlimitResources = map[byte][]int{
	'a': {unix.RLIMIT_AS},
	'c': {unix.RLIMIT_CORE},
	'd': {unix.RLIMIT_DATA},
	'f': {unix.RLIMIT_FSIZE},
	'l': {unix.RLIMIT_MEMLOCK},
	'm': {unix.RLIMIT_DATA, unix.RLIMIT_STACK, unix.RLIMIT_MEMLOCK, unix.RLIMIT_AS},
	'o': {unix.RLIMIT_NOFILE},
	'p': {unix.RLIMIT_NPROC},
	'r': {unix.RLIMIT_RSS},
	's': {unix.RLIMIT_STACK},
	't': {unix.RLIMIT_CPU},
}

// softLimit is one soft limit to set; eq is the value "=", the hard limit.
type softLimit struct {
	resource int
	value    uint64
	eq       bool
}

// Softlimit runs softlimit(8): softlimit [-acdflmoprst value] child. Each
// option sets the soft limit of its resources to value, or to the hard
// limit when value is "=", and never above the hard limit; the hard limits
// stay as they are. Usage errors, including a value that is not a number,
// exit 100; failures 111.
func Softlimit(inv *cli.Invocation) int {
	var limits []softLimit
	p := getopt.New(inv.Args, "a:c:d:f:l:m:o:p:r:s:t:")
	for {
		opt, arg, ok, err := p.Next()
		if err != nil {
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			return inv.Usage(softlimitUsage)
		}
		if !ok {
			break
		}
		v, eq, valid := parseLimit(arg)
		if !valid {
			return inv.Usage(softlimitUsage)
		}
		for _, r := range softlimitResources[opt] {
			limits = append(limits, softLimit{resource: r, value: v, eq: eq})
		}
	}
	argv := p.Rest()
	if len(argv) == 0 {
		return inv.Usage(softlimitUsage)
	}
	// Find the program before lowering limits: a small data or address
	// space limit leaves this process little room to do anything else.
	path, err := lookPath(argv[0], inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
	}
	// For the same reason everything exec needs is made now: under the
	// lowered limits the runtime may be unable to get memory for one more
	// allocation ("fatal error: runtime: cannot allocate memory" inside
	// syscall.Exec, which copies its arguments, was seen under -d 8000000).
	execve, err := prepareExec(path, argv, inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
	}
	if w := raiseForRuntime(limits, path, argv, inv.Env); w != "" {
		inv.Warn("%s", w)
	}
	for _, l := range limits {
		var r syscall.Rlimit
		if err := syscall.Getrlimit(l.resource, &r); err != nil {
			return inv.Fatal(cli.ExitTemporary, "getrlimit failed: %s", djberr.Text(err))
		}
		if l.eq || l.value > r.Max {
			r.Cur = r.Max
		} else {
			r.Cur = l.value
		}
		// syscall.Setrlimit, not unix's: for RLIMIT_NOFILE it also stops
		// the runtime from putting back the soft limit it found at start.
		if err := syscall.Setrlimit(l.resource, &r); err != nil {
			return inv.Fatal(cli.ExitTemporary, "setrlimit failed: %s", djberr.Text(err))
		}
	}
	err = execve()
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}

// prepareExec makes execve(2)'s arguments for path, argv and env and
// returns the call, which allocates nothing.
func prepareExec(path string, argv, env []string) (func() error, error) {
	pathp, err := syscall.BytePtrFromString(path)
	if err != nil {
		return nil, err
	}
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return nil, err
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return nil, err
	}
	return func() error {
		_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(pathp)),
			uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])))
		return e
	}, nil
}

// parseLimit reads an option's value as the original's scan_ulong does:
// decimal digits, wrapping silently on overflow, the empty string being 0;
// anything after the digits makes it invalid. "=" stands for the hard limit.
func parseLimit(s string) (v uint64, eq, ok bool) {
	if s == "=" {
		return 0, true, true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, false, true
}
