// Package diag holds qmail 1.03's test programs for its DNS and
// local-address code, which print what qmail-remote would find:
//
//   - dnscname NAME: the name at the end of NAME's CNAME chain (dns_cname);
//   - dnsptr IP: the first name IP points back to (dns_ptr);
//   - dnsip NAME: NAME's addresses, one a line (dns_ip);
//   - dnsmxip NAME: the addresses to try for mail to NAME with their MX
//     preferences, "IP PREF" a line, in the order tried (dns_mxip);
//   - dnsfq NAME: the fully qualified name of NAME, through the search list,
//     its first address and that address's PTR name (dns_init(1));
//   - ipmeprint: the addresses that are this host (ipme), one a line.
//
// They ask the tree's code rather than copies of it: dnsclient for the
// lookups, mta/remote's ResolveRelay and ResolveMX (qmail-remote's dns_ip
// and dns_mxip), mta/ipme for the local addresses. Their output has
// qmail's forms; IPv4 addresses are dotted quads, IPv6 ones in the
// compact form.
//
// Exit codes, as qmail's dnsdoe has them: 0 success; 100 a usage error or
// a permanent failure ("hard error": no such name, no such record, an
// alias loop); 111 a temporary one ("soft error": no server answered,
// SERVFAIL).
package diag

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/ipme"
	"github.com/quail-mta/quail/mta/remote"
)

// MaxCNAME is how many CNAME links dnscname follows before it calls the
// chain a loop (dns_cname's 10 rounds, a trailing dot's removal counted as
// one).
const MaxCNAME = 10

// timeout bounds one program's lookups, as qmail-remote's do.
const timeout = 10 * time.Minute

// lookupError is a failed lookup as dnsdoe reports it.
func lookupError(inv *cli.Invocation, name string, err error) int {
	cause := err.Error()
	var de *dnsclient.Error
	if errors.As(err, &de) {
		cause = de.Err.Error()
	}
	if dnsclient.IsTemporary(err) {
		return inv.Fatal(cli.ExitTemporary, "unable to look up %s: soft error: %s", name, cause)
	}
	return inv.Fatal(cli.ExitPermanent, "unable to look up %s: hard error: %s", name, cause)
}

// outcomeError is a failure of qmail-remote's resolution code.
func outcomeError(inv *cli.Invocation, name string, o *remote.Outcome) int {
	text := strings.TrimSpace(o.Text)
	if o.Code == remote.Temporary {
		return inv.Fatal(cli.ExitTemporary, "unable to look up %s: soft error: %s", name, text)
	}
	return inv.Fatal(cli.ExitPermanent, "unable to look up %s: hard error: %s", name, text)
}

// run is one program's lookup: its argument, the resolver and the time
// the lookups may take.
type run struct {
	arg string
	r   *dnsclient.Resolver
	ctx context.Context
}

// start reads the argument (synopsis names it) and the DNS configuration
// and hands them to do; a usage or configuration error ends the program
// first.
func start(inv *cli.Invocation, synopsis string, do func(run) int) int {
	if len(inv.Args) < 2 {
		return inv.Usage(synopsis)
	}
	r, err := dnsclient.FromEnv(inv.Getenv)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read DNS configuration: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return do(run{inv.Args[1], r, ctx})
}

func printLines(inv *cli.Invocation, lines []string) int {
	w := bufio.NewWriter(inv.Stdout)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
	}
	return cli.ExitOK
}

// CNAME follows name's CNAME chain as dns_cname does: a name that ends in
// ']' (an address literal) or is empty ends it; a trailing dot is dropped
// (one round); a name that is no alias, or does not exist, ends it. More
// than MaxCNAME rounds is a loop, a permanent failure.
func CNAME(ctx context.Context, r *dnsclient.Resolver, name string) (string, error) {
	for range MaxCNAME {
		if name == "" || strings.HasSuffix(name, "]") {
			return name, nil
		}
		if strings.HasSuffix(name, ".") {
			name = name[:len(name)-1]
			continue
		}
		target, err := r.CNAME(ctx, name)
		if dnsclient.IsTemporary(err) {
			return "", err
		}
		if err != nil {
			return name, nil
		}
		name = target
	}
	return "", &dnsclient.Error{Name: name, Type: "CNAME", Err: dnsclient.ErrCNAMELoop}
}

// DNSCname is dnscname name.
func DNSCname(inv *cli.Invocation) int {
	return start(inv, "name", func(l run) int {
		end, err := CNAME(l.ctx, l.r, l.arg)
		if err != nil {
			return lookupError(inv, l.arg, err)
		}
		return printLines(inv, []string{end})
	})
}

// DNSPtr is dnsptr ip: the first PTR name of an IPv4 or IPv6 address.
func DNSPtr(inv *cli.Invocation) int {
	return start(inv, "ip", func(l run) int {
		ip, err := netip.ParseAddr(l.arg)
		if err != nil {
			return inv.Fatal(cli.ExitPermanent, "unable to parse IP address %s", l.arg)
		}
		names, err := l.r.PTR(l.ctx, ip)
		if err == nil && len(names) == 0 {
			err = &dnsclient.Error{Name: l.arg, Type: "PTR", Err: dnsclient.ErrNoData}
		}
		if err != nil {
			return lookupError(inv, l.arg, err)
		}
		return printLines(inv, names[:1])
	})
}

// DNSIP is dnsip name: the addresses qmail-remote would use for name as a
// relay (an address literal as it is, else its A then AAAA records).
func DNSIP(inv *cli.Invocation) int {
	return start(inv, "name", func(l run) int {
		ts, o := remote.ResolveRelay(l.ctx, l.r, l.arg)
		if o != nil {
			return outcomeError(inv, l.arg, o)
		}
		lines := make([]string, len(ts))
		for i, t := range ts {
			lines[i] = t.IP.String()
		}
		return printLines(inv, lines)
	})
}

// DNSMXIP is dnsmxip name: the addresses qmail-remote would try for mail
// to name, each with its exchanger's preference, in the order it would
// try them (equal preferences shuffled, as the program's time and pid
// seed qmail's choice).
func DNSMXIP(inv *cli.Invocation) int {
	return start(inv, "name", func(l run) int {
		rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
		ts, o := remote.ResolveMX(l.ctx, l.r, l.arg, rnd)
		if o != nil {
			return outcomeError(inv, l.arg, o)
		}
		lines := make([]string, len(ts))
		for i, t := range ts {
			lines[i] = fmt.Sprintf("%s %d", t.IP, t.Pref)
		}
		return printLines(inv, lines)
	})
}

// FQ is dnsfq's answer for name: the first of the names the search list
// makes of it (Qualify) that has an address, and that address's PTR name.
func FQ(ctx context.Context, r *dnsclient.Resolver, name string) (string, error) {
	var ip netip.Addr
	var lastErr error
	for _, n := range r.Qualify(name) {
		if a, ok := remote.ParseLiteral(n); ok {
			ip = a
			break
		}
		ips, err := r.IP(ctx, n)
		if dnsclient.IsTemporary(err) {
			return "", err
		}
		if err == nil && len(ips) > 0 {
			ip = ips[0]
			break
		}
		lastErr = err
	}
	if !ip.IsValid() {
		if lastErr == nil {
			lastErr = &dnsclient.Error{Name: name, Type: "A", Err: dnsclient.ErrNoData}
		}
		return "", lastErr
	}
	names, err := r.PTR(ctx, ip)
	if err == nil && len(names) == 0 {
		err = &dnsclient.Error{Name: ip.String(), Type: "PTR", Err: dnsclient.ErrNoData}
	}
	if err != nil {
		return "", err
	}
	return names[0], nil
}

// DNSFQ is dnsfq name.
func DNSFQ(inv *cli.Invocation) int {
	return start(inv, "name", func(l run) int {
		fq, err := FQ(l.ctx, l.r, l.arg)
		if err != nil {
			return lookupError(inv, l.arg, err)
		}
		return printLines(inv, []string{fq})
	})
}

// IPMePrint is ipmeprint: the addresses of mta/ipme, with the qmail home's
// control/moreipme, one a line.
func IPMePrint(inv *cli.Invocation) int {
	more, err := ipme.ReadMore(control.Open(qmailhome.Dir(inv.Getenv)))
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read controls: %v", err)
	}
	list, err := ipme.List(more)
	if err != nil {
		return inv.Fatal(cli.ExitPermanent, "unable to list the network interfaces: hard error: %v", err)
	}
	lines := make([]string, len(list))
	for i, a := range list {
		lines[i] = a.String()
	}
	return printLines(inv, lines)
}
