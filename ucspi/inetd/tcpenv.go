// Package inetd is qmail 1.03's tcp-env(1): run from inetd (or any server
// that hands a program a TCP connection on descriptor 0 without telling it
// more), it finds out about the connection, sets the variables of
// tcp-environ(5), and runs a program with them.
//
// The variables are the ones tcpserver sets, built by the same code
// (ucspi/tcpenv), so that a program moved from tcpserver to inetd sees the
// same environment: PROTO, TCPLOCALIP, TCPLOCALPORT, TCPLOCALHOST,
// TCPREMOTEIP, TCPREMOTEPORT, TCPREMOTEHOST, TCPREMOTEINFO and their TCP6
// twins. The names come from PTR lookups through dnsclient; as tcp-env.c
// has it, a name that cannot be looked up for the time being is
// "softdnserror" (tcpserver leaves the variable unset). TCPREMOTEINFO
// comes from the client's IDENT server (ucspi/ident) unless -R.
package inetd

import (
	"context"
	"net/netip"
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

// SoftDNSError is the name tcp-env gives a host whose PTR lookup failed
// for the time being.
const SoftDNSError = "softdnserror"

// DefaultTimeout is how long tcp-env waits for the IDENT answer (-t).
const DefaultTimeout = 30 * time.Second

const usage = "[ -rR ] [ -ttimeout ] program [ arg ... ]"

// PTR is what tcp-env asks of DNS; *dnsclient.Resolver is one.
type PTR interface {
	PTR(ctx context.Context, ip netip.Addr) ([]string, error)
}

// HostName is the value of TCPLOCALHOST or TCPREMOTEHOST for ip: the first
// name ip points back to, SoftDNSError when the lookup failed for the
// time being, nil (the variable unset) when there is no name.
func HostName(ctx context.Context, r PTR, ip netip.Addr) *string {
	names, err := r.PTR(ctx, ip.WithZone(""))
	if dnsclient.IsTemporary(err) {
		s := SoftDNSError
		return &s
	}
	if err != nil || len(names) == 0 {
		return nil
	}
	return &names[0]
}

// TCPEnv is tcp-env [ -rR ] [ -ttimeout ] program [ arg ... ]. When PROTO
// is already TCP (or TCP6, which tcpserver sets for IPv6 clients) the
// variables are taken as they are and descriptor 0 is not looked at;
// otherwise they are made from descriptor 0's socket. Then program runs in
// place of tcp-env.
//
// Exit codes: 111 (with a message) when descriptor 0 is not a TCP socket,
// DNS is not configured, the options are wrong or program cannot be run,
// as tcp-env.c dies with 111 on every failure; otherwise program's.
func TCPEnv(inv *cli.Invocation) int {
	remoteInfo := true
	timeout := DefaultTimeout
	p := getopt.New(inv.Args, "rRt:")
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			return inv.UsageCode(cli.ExitTemporary, usage)
		}
		if !ok {
			break
		}
		switch c {
		case 'r':
			remoteInfo = true
		case 'R':
			remoteInfo = false
		case 't':
			timeout = time.Duration(scanUlong(arg)) * time.Second
		}
	}
	argv := p.Rest()
	if len(argv) == 0 {
		return inv.UsageCode(cli.ExitTemporary, usage)
	}
	env := inv.Env
	if proto, _ := inv.Getenv("PROTO"); proto != "TCP" && proto != "TCP6" {
		var err error
		if env, err = connEnv(inv, remoteInfo, timeout); err != nil {
			return inv.Fatal(cli.ExitTemporary, "%v", err)
		}
	}
	err := pathexec.Exec(argv, env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", argv[0], djberr.Text(err))
}

// connEnv is inv's environment with the variables of the connection on
// descriptor 0.
func connEnv(inv *cli.Invocation, remoteInfo bool, timeout time.Duration) ([]string, error) {
	lsa, err := syscall.Getsockname(0)
	if err != nil {
		return nil, opError("get local address", err)
	}
	rsa, err := syscall.Getpeername(0)
	if err != nil {
		return nil, opError("get remote address", err)
	}
	info := tcpenv.Info{Local: tcpenv.FromSockaddr(lsa), Remote: tcpenv.FromSockaddr(rsa)}
	if !info.Local.IsValid() || !info.Remote.IsValid() {
		return nil, opError("get remote address", syscall.EAFNOSUPPORT)
	}
	r, err := dnsclient.FromEnv(inv.Getenv)
	if err != nil {
		return nil, opError("read DNS configuration", err)
	}
	ctx := context.Background()
	info.LocalHost = HostName(ctx, r, info.Local.Addr())
	info.RemoteHost = HostName(ctx, r, info.Remote.Addr())
	if remoteInfo {
		ictx, cancel := context.WithTimeout(ctx, timeout)
		if answer, err := ident.Query(ictx, info.Local, info.Remote); err == nil {
			info.RemoteInfo = &answer
		}
		cancel()
	}
	return info.Apply(inv.Env), nil
}

func opError(what string, err error) error { return djberr.Wrap("unable to "+what, err) }

// scanUlong reads leading digits as qmail's scan_ulong does (none is 0),
// capped at a value no timeout needs to exceed.
func scanUlong(s string) int64 {
	const most = 1 << 31
	var n int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n = n*10 + int64(s[i]-'0'); n > most {
			return most
		}
	}
	return n
}
