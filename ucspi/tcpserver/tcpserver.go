// Package tcpserver is tcpserver(1) of ucspi-tcp 0.88 with Felix von
// Leitner's IPv6 patch (Debian's ucspi-tcp-ipv6): it turns the options into
// a server.Config, binds, drops privileges and serves.
//
// Exit codes: 0 after SIGTERM; 100 for a usage error; 111 when the address
// cannot be resolved or bound, or privileges cannot be dropped.
package tcpserver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/ownprog"
	"github.com/quail-mta/quail/ucspi/reuse"
	"github.com/quail-mta/quail/ucspi/server"
	"github.com/quail-mta/quail/ucspi/tcpenv"
)

// Options is tcpserver 0.88's getopt string with the IPv6 patch's -4, -6
// and -I, plus C (our default per-address limit).
const Options = "46dDvqQhHrR1UXx:t:u:g:l:b:B:c:I:pPoOC:"

const synopsis = "[ -461UXpPhHrRoOdDqQv ] [ -c limit ] [ -C maxconip ] [ -x rules.cdb ] [ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -t timeout ] [ -I interface ] host port program"

// Defaults of tcpserver 0.88.
const (
	DefaultLimit        = 40
	DefaultBacklog      = 20
	DefaultIdentTimeout = 26 * time.Second
)

// Program describes a server built on tcpserver's options: tcpserver
// itself, or sslserver, which adds letters of its own.
type Program struct {
	Name     string // for diagnostics and log lines
	Options  string // getopt string: tcpserver's Options plus any extra letters
	Synopsis string
	// Extra handles the letters tcpserver does not know; false means a
	// bad argument (usage error).
	Extra func(c byte, arg string) bool
	// Setup runs after the options are read and before binding; an error
	// is fatal (111).
	Setup func(cfg *server.Config) error
	// Argv and Path, when Argv is set, are the program every connection
	// runs (server.Config's), and the command line names none: it ends
	// with host and port, and words after them are ignored, as
	// ucspi-ssl's sslprint ignores them.
	Argv []string
	Path string
}

// Main runs tcpserver and returns its exit code.
func Main(inv *cli.Invocation) int {
	return Run(inv, Program{Name: "tcpserver", Options: Options, Synopsis: synopsis})
}

// Run parses the options of prog, binds, drops privileges and serves.
func Run(inv *cli.Invocation, prog Program) int {
	synopsis := prog.Synopsis
	cfg := server.Config{
		Name:         prog.Name,
		Limit:        DefaultLimit,
		Backlog:      DefaultBacklog,
		RemoteHost:   true,
		Ident:        true,
		IdentTimeout: DefaultIdentTimeout,
		Stderr:       inv.Stderr,
	}
	v4only := false
	printPort := false
	p := getopt.New(inv.Args, prog.Options)
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			// sgetopt names the option before the usage line.
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			return inv.Usage(synopsis)
		}
		if !ok {
			break
		}
		num := func(min int) (int, bool) {
			n, err := strconv.Atoi(arg)
			return n, err == nil && n >= min
		}
		good := true
		switch c {
		case '4':
			v4only = true
		case '6':
			cfg.ForceV6 = true
		case 'd':
			cfg.NoDelay = false
		case 'D':
			cfg.NoDelay = true
		case 'v':
			cfg.Verbose, cfg.Quiet = true, false
		case 'q':
			cfg.Verbose, cfg.Quiet = false, true
		case 'Q':
			cfg.Verbose, cfg.Quiet = false, false
		case 'h':
			cfg.RemoteHost = true
		case 'H':
			cfg.RemoteHost = false
		case 'r':
			cfg.Ident = true
		case 'R':
			cfg.Ident = false
		case 'p':
			cfg.Paranoid = true
		case 'P':
			cfg.Paranoid = false
		case 'o':
			cfg.KeepIPOptions = true
		case 'O':
			cfg.KeepIPOptions = false
		case '1':
			printPort = true
		case 'X':
			cfg.AllowMissingRules = true
		case 'x':
			cfg.Rules = arg
		case 'B':
			cfg.Banner = arg
		case 'l':
			name := arg
			cfg.LocalHost = &name
		case 'I':
			cfg.Interface = arg
		case 'U':
			if v, ok := inv.Getenv("UID"); ok {
				cfg.UID, good = numText(v)
			}
			if v, ok := inv.Getenv("GID"); ok && good {
				cfg.GID, good = numText(v)
			}
		case 'u':
			cfg.UID, good = num(0)
		case 'g':
			cfg.GID, good = num(0)
		case 'c':
			cfg.Limit, good = num(1)
		case 'C':
			cfg.MaxConIP, good = num(0)
		case 'b':
			cfg.Backlog, good = num(0)
		case 't':
			var secs int
			secs, good = num(0)
			cfg.IdentTimeout = time.Duration(secs) * time.Second
		default:
			if prog.Extra != nil {
				good = prog.Extra(c, arg)
			}
		}
		if !good {
			return inv.Usage(synopsis)
		}
	}
	rest := p.Rest()
	if len(rest) < 3 && (prog.Argv == nil || len(rest) < 2) {
		return inv.Usage(synopsis)
	}
	host, port := rest[0], rest[1]
	cfg.Argv = rest[2:]
	if prog.Argv != nil {
		cfg.Argv, cfg.Path = prog.Argv, prog.Path
	}
	cfg.Env = inv.Env
	maxUse, err := reuse.MaxUse(inv.Getenv)
	if err != nil {
		return inv.Fatal(cli.ExitPermanent, "%v", err)
	}
	if maxUse > 0 {
		cfg.MaxUse = maxUse
		cfg.Reusable = reusers.Version
	}

	var resolver *dnsclient.Resolver
	needDNS := cfg.RemoteHost || cfg.LocalHost == nil || !isLiteral(host)
	if needDNS {
		r, err := dnsclient.FromEnv(inv.Getenv)
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to read DNS configuration: %v", err)
		}
		resolver = r
		cfg.Resolver = r
	}
	portNum, err := parsePort(port)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to figure out port number for %s", port)
	}
	var lookup Lookup
	if resolver != nil {
		lookup = resolver
	}
	addr, dual, err := ListenAddr(context.Background(), host, v4only, lookup)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	cfg.Listen = netip.AddrPortFrom(addr, portNum)
	cfg.DualStack = dual
	if prog.Setup != nil {
		if err := prog.Setup(&cfg); err != nil {
			return inv.Fatal(cli.ExitTemporary, "%v", err)
		}
	}

	srv, err := server.Listen(&cfg)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%s", err)
	}
	if err := srv.DropPrivileges(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "%s", err)
	}
	// As the original: the port (-1), then standard input and output
	// let go of, then the first status line. A script reading the port
	// from a pipe sees the end of it.
	if printPort {
		fmt.Fprintf(inv.Stdout, "%d\n", srv.Port)
	}
	releaseStdio(inv.Stdin, inv.Stdout)
	if err := srv.Serve(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "%s", err)
	}
	return cli.ExitOK
}

// releaseStdio stands for the original's close(0) and close(1): the
// descriptors are pointed at /dev/null rather than closed, so that no
// socket opened later can take their numbers, and whoever held the other
// end of them (a pipe reading the port) sees its end.
func releaseStdio(files ...*os.File) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer null.Close()
	for _, f := range files {
		if f != nil {
			unix.Dup3(int(null.Fd()), int(f.Fd()), 0)
		}
	}
}

// reusers are the programs that can serve connections one after another
// (package reuse), recognised as quail's own by their build information:
// a wrapper in their place is started for every connection.
var reusers = ownprog.For("qmail-smtpd", "rblsmtpd")

func numText(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// parsePort reads a port number or a service name from /etc/services.
func parsePort(s string) (uint16, error) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), nil
	}
	n, err := net.LookupPort("tcp", s)
	return uint16(n), err
}

func isLiteral(host string) bool {
	if host == "" || host == "0" || host == ":0" {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// Lookup resolves a host name to addresses (dnsclient.Resolver has it).
type Lookup = tcpenv.Resolver

// ListenAddr turns tcpserver's host argument into the address to bind:
// "" and "0" mean every address, IPv4 and IPv6 on one socket (IPv4 only
// under -4), and so does ":0", fehcom ucspi-tcp6's name for that socket;
// "::" means every IPv6 address only; anything else is read as the IPv6
// patch reads it (tcpenv.HostAddrs) and its first address used, under -4
// its first IPv4 one. An IPv6 address under -4 fails as the original's
// bind does.
func ListenAddr(ctx context.Context, host string, v4only bool, r Lookup) (addr netip.Addr, dualStack bool, err error) {
	switch host {
	case "", "0", ":0":
		if v4only {
			return netip.IPv4Unspecified(), false, nil
		}
		return netip.IPv6Unspecified(), true, nil
	}
	addrs, err := tcpenv.HostAddrs(ctx, host, r)
	if err != nil {
		return netip.Addr{}, false, err
	}
	if !v4only {
		return addrs[0], false, nil
	}
	for _, a := range addrs {
		if a.Is4() {
			return a, false, nil
		}
	}
	return netip.Addr{}, false, &server.OpError{Op: "bind", Err: syscall.EAFNOSUPPORT}
}
