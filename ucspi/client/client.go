package client

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/ucspi/ident"
	"github.com/quail-mta/quail/ucspi/tcpenv"
)

// Options is Debian's tcpclient getopt string (0.88's with -4, -6, -I).
const Options = "46dDvqQhHrRi:p:t:T:l:I:"

const synopsis = "[ -46hHrRdDqQv ] [ -i localip ] [ -p localport ] [ -T timeoutconn ] [ -l localname ] [ -t timeoutinfo ] [ -I interface ] host port program"

// Descriptors the program reads from and writes to the network on.
const (
	ReadFD  = 6
	WriteFD = 7
)

type config struct {
	v4only, forceV6, noDelay bool
	verbose, quiet           bool
	remoteHost, ident        bool
	localHost                *string
	localIP                  netip.Addr
	localPort                uint16
	identTimeout             time.Duration
	timeouts                 Timeouts
	iface                    string
}

// Program describes a client built on tcpclient's options: tcpclient
// itself, or sslclient.
type Program struct {
	Name     string
	Options  string // Options plus any extra letters
	Synopsis string
	// Extra handles the letters tcpclient does not know; false means a
	// usage error.
	Extra func(c byte, arg string) bool
	// NoIdent makes -R the default (-r turns IDENT on), as in ucspi-ssl's
	// sslclient; tcpclient asks by default.
	NoIdent bool
	// Launch, when set, runs the program instead of tcpclient's exec onto
	// descriptors 6 and 7, and returns the exit code.
	Launch func(c Connection) int
}

// Connection is what Launch gets: the connected socket and what is known
// about it, for a client that sets its own variables.
type Connection struct {
	FD       int         // the connected socket, in blocking mode
	Host     string      // the host argument as given
	Info     tcpenv.Info // addresses, names and the IDENT answer
	Env      []string    // the environment tcpclient was started with
	Argv     []string    // the program and its arguments
	Timeouts Timeouts    // -T
	Verbose  bool        // -v
	Quiet    bool        // -q
}

// Main runs tcpclient; on success it does not return, as the program
// replaces it.
func Main(inv *cli.Invocation) int {
	return Run(inv, Program{Name: "tcpclient", Options: Options, Synopsis: synopsis})
}

// Run parses prog's options, connects and runs the program.
func Run(inv *cli.Invocation, prog Program) int {
	synopsis := prog.Synopsis
	reserveDescriptors()
	c := config{remoteHost: true, ident: !prog.NoIdent, identTimeout: 26 * time.Second, timeouts: DefaultTimeouts}
	p := getopt.New(inv.Args, prog.Options)
	for {
		opt, arg, ok, err := p.Next()
		if err != nil {
			// sgetopt names the option before the usage line.
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			return inv.Usage(synopsis)
		}
		if !ok {
			break
		}
		switch opt {
		case '4':
			c.v4only = true
		case '6':
			c.forceV6 = true
		case 'd':
			c.noDelay = false
		case 'D':
			c.noDelay = true
		case 'v':
			c.verbose, c.quiet = true, false
		case 'q':
			c.verbose, c.quiet = false, true
		case 'Q':
			c.verbose, c.quiet = false, false
		case 'h':
			c.remoteHost = true
		case 'H':
			c.remoteHost = false
		case 'r':
			c.ident = true
		case 'R':
			c.ident = false
		case 'l':
			name := arg
			c.localHost = &name
		case 'I':
			c.iface = arg
		case 'i':
			a, err := netip.ParseAddr(arg)
			if err != nil {
				return inv.Usage(synopsis)
			}
			c.localIP = a.Unmap()
		case 'p':
			n, err := parsePort(arg)
			if err != nil {
				return inv.Fatal(cli.ExitTemporary, "unable to figure out port number for %s", arg)
			}
			c.localPort = n
		case 't':
			n, err := strconv.ParseUint(arg, 10, 32)
			if err != nil {
				return inv.Usage(synopsis)
			}
			c.identTimeout = time.Duration(n) * time.Second
		case 'T':
			t, err := ParseTimeouts(arg, c.timeouts)
			if err != nil {
				return inv.Usage(synopsis)
			}
			c.timeouts = t
		default:
			if prog.Extra != nil && !prog.Extra(opt, arg) {
				return inv.Usage(synopsis)
			}
		}
	}
	rest := p.Rest()
	if len(rest) < 3 {
		return inv.Usage(synopsis)
	}
	host, portText, argv := rest[0], rest[1], rest[2:]

	var resolver *dnsclient.Resolver
	if c.remoteHost || c.localHost == nil || !literal(host) {
		r, err := dnsclient.FromEnv(inv.Getenv)
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to read DNS configuration: %v", err)
		}
		resolver = r
	}
	port, err := parsePort(portText)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to figure out port number for %s", portText)
	}
	ctx := context.Background()
	addrs, err := hostAddrs(ctx, host, c.v4only, resolver)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	var ifindex int
	if c.iface != "" {
		ifi, err := net.InterfaceByName(c.iface)
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to find interface %s: %v", c.iface, err)
		}
		ifindex = ifi.Index
	}

	fd, remote, err := c.connect(addrs, port, ifindex, func(a netip.Addr, err error) {
		if !c.quiet {
			// The original prints these without "warning:".
			inv.Stderr.Write([]byte(prog.Name + ": unable to connect to " + tcpenv.Info{ForceV6: c.forceV6}.IPText(a) + " port " + strconv.Itoa(int(port)) + ": " + djberr.Text(err) + "\n"))
		}
	})
	if err != nil {
		if isBindError(err) {
			return inv.Fatal(cli.ExitTemporary, "unable to bind socket: %s", djberr.Text(err))
		}
		return cli.ExitTemporary
	}
	if c.noDelay {
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	}
	lsa, err := syscall.Getsockname(fd)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to get local address: %s", djberr.Text(err))
	}
	info := tcpenv.Info{Local: tcpenv.FromSockaddr(lsa), Remote: remote, ForceV6: c.forceV6}
	if c.verbose {
		inv.Stderr.Write([]byte(prog.Name + ": connected to " + info.IPText(remote.Addr()) + " port " + strconv.Itoa(int(port)) + "\n"))
	}
	info.LocalHost = c.localHost
	if info.LocalHost == nil {
		info.LocalHost = firstName(ctx, resolver, info.Local.Addr())
	}
	if c.remoteHost {
		info.RemoteHost = firstName(ctx, resolver, remote.Addr())
	}
	if c.ident {
		ictx, cancel := context.WithTimeout(ctx, c.identTimeout)
		if answer, err := ident.Query(ictx, info.Local, info.Remote); err == nil {
			info.RemoteInfo = &answer
		}
		cancel()
	}
	if prog.Launch != nil {
		return prog.Launch(Connection{FD: fd, Host: host, Info: info, Env: inv.Env, Argv: argv, Timeouts: c.timeouts, Verbose: c.verbose, Quiet: c.quiet})
	}
	env := info.ApplyTCP(inv.Env)

	if err := placeAt(fd, ReadFD, WriteFD); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to set up descriptor %d: %s", ReadFD, djberr.Text(err))
	}
	err = pathexec.Exec(argv, env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}

// connect tries each address in turn with the first timeout, then the
// ones that timed out with the second, as 0.88 does. A failure other than
// a bind error is reported through failed and the next address tried.
func (c *config) connect(addrs []netip.Addr, port uint16, ifindex int, failed func(netip.Addr, error)) (int, netip.AddrPort, error) {
	var local netip.AddrPort
	if c.localIP.IsValid() || c.localPort != 0 {
		ip := c.localIP
		if !ip.IsValid() {
			ip = netip.IPv6Unspecified()
		}
		local = netip.AddrPortFrom(ip, c.localPort)
	}
	var timedOut []netip.Addr
	var lastErr error = errTimeout
	for pass, t := range []time.Duration{c.timeouts.First, c.timeouts.Second} {
		list := addrs
		if pass == 1 {
			list = timedOut
		}
		for _, a := range list {
			l := local
			if l.IsValid() && a.Is4() && l.Addr().Is6() && l.Addr().IsUnspecified() {
				l = netip.AddrPortFrom(netip.IPv4Unspecified(), l.Port())
			}
			fd, err := dial(l, netip.AddrPortFrom(a, port), t, ifindex)
			if err == nil {
				return fd, netip.AddrPortFrom(a, port), nil
			}
			if isBindError(err) {
				return -1, netip.AddrPort{}, err
			}
			lastErr = err
			if pass == 0 && err == errTimeout {
				timedOut = append(timedOut, a)
				continue
			}
			failed(a, err)
		}
	}
	return -1, netip.AddrPort{}, lastErr
}

func literal(host string) bool {
	if host == "" || host == "0" {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// hostAddrs is the list of addresses to try: "0" and "" mean this machine
// (::1 as Debian's tcpclient has it, 127.0.0.1 under -4); anything else is
// read as the IPv6 patch reads it (tcpenv.HostAddrs), only its IPv4
// addresses under -4.
func hostAddrs(ctx context.Context, host string, v4only bool, r *dnsclient.Resolver) ([]netip.Addr, error) {
	if host == "" || host == "0" {
		if v4only {
			return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, nil
		}
		return []netip.Addr{netip.IPv6Loopback()}, nil
	}
	var lookup tcpenv.Resolver
	if r != nil {
		lookup = r
	}
	addrs, err := tcpenv.HostAddrs(ctx, host, lookup)
	if err != nil || !v4only {
		return addrs, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		if a.Is4() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &tcpenv.HostError{Host: host}
	}
	return out, nil
}

func firstName(ctx context.Context, r *dnsclient.Resolver, a netip.Addr) *string {
	if r == nil {
		return nil
	}
	names, err := r.PTR(ctx, a.WithZone(""))
	if err != nil || len(names) == 0 {
		return nil
	}
	return &names[0]
}

func parsePort(s string) (uint16, error) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), nil
	}
	n, err := net.LookupPort("tcp", s)
	return uint16(n), err
}
