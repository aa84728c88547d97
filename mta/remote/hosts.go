package remote

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sort"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/mta/ipme"
)

// Resolver is what qmail-remote asks of DNS; *dnsclient.Resolver is one.
type Resolver interface {
	MX(ctx context.Context, name string) ([]dnsclient.MX, error)
	IP(ctx context.Context, name string) ([]netip.Addr, error)
}

// ADResolver is the Resolver of DANE, which asks whether answers were
// authenticated; *dnsclient.Resolver is one.
type ADResolver interface {
	MXAD(ctx context.Context, name string) ([]dnsclient.MX, bool, error)
	IPAD(ctx context.Context, name string) ([]netip.Addr, bool, error)
}

// Target is one address to try, with the preference of the MX it came
// from and the name the certificate should carry.
type Target struct {
	IP   netip.Addr
	Pref int
	Name string
	// Secure says that the MX answer and the exchanger's address answer
	// were both authenticated (ResolveMXAD only), which DANE needs.
	Secure bool
}

// lookups are the two questions ResolveMX asks, with whether each answer
// was authenticated.
type lookups interface {
	mx(ctx context.Context, name string) ([]dnsclient.MX, bool, error)
	ip(ctx context.Context, name string) ([]netip.Addr, bool, error)
}

type plainLookups struct{ r Resolver }

func (p plainLookups) mx(ctx context.Context, name string) ([]dnsclient.MX, bool, error) {
	mxs, err := p.r.MX(ctx, name)
	return mxs, false, err
}

func (p plainLookups) ip(ctx context.Context, name string) ([]netip.Addr, bool, error) {
	ips, err := p.r.IP(ctx, name)
	return ips, false, err
}

type adLookups struct{ r ADResolver }

func (a adLookups) mx(ctx context.Context, name string) ([]dnsclient.MX, bool, error) {
	return a.r.MXAD(ctx, name)
}

func (a adLookups) ip(ctx context.Context, name string) ([]netip.Addr, bool, error) {
	return a.r.IPAD(ctx, name)
}

// ResolveRelay finds the addresses of a relay from the routes: an address
// literal, or the A and AAAA records of a name (never its MX, as qmail's
// dns_ip).
func ResolveRelay(ctx context.Context, r Resolver, host string) ([]Target, *Outcome) {
	if ip, ok := ParseLiteral(host); ok {
		return []Target{{IP: ip}}, nil
	}
	ips, err := r.IP(ctx, host)
	if err != nil {
		if dnsclient.IsTemporary(err) {
			return nil, &outDNSTemp
		}
		o := outDNSPerm(host)
		return nil, &o
	}
	out := make([]Target, 0, len(ips))
	for _, ip := range ips {
		out = append(out, Target{IP: ip.Unmap(), Name: host})
	}
	return out, nil
}

// ResolveMX lists the addresses to try for a mail domain, as qmail's
// dns_mxip: the MX records by preference, equal preferences in random
// order, each exchanger's IPv4 then IPv6 addresses; without MX records the
// domain's own addresses (the implicit MX, RFC 5321 section 5.1). An
// address literal is used as it is. A name that does not exist is a
// permanent failure; an exchanger without addresses is skipped.
func ResolveMX(ctx context.Context, r Resolver, domain string, rnd *rand.Rand) ([]Target, *Outcome) {
	return resolveMX(ctx, r, plainLookups{r}, domain, rnd)
}

// ResolveMXAD is ResolveMX asking whether the answers were authenticated:
// each Target's Secure is set when its MX answer and its address answer
// both were. A domain without MX records (the implicit MX) gets no
// Secure targets.
func ResolveMXAD(ctx context.Context, r interface {
	Resolver
	ADResolver
}, domain string, rnd *rand.Rand) ([]Target, *Outcome) {
	return resolveMX(ctx, r, adLookups{r}, domain, rnd)
}

func resolveMX(ctx context.Context, r Resolver, look lookups, domain string, rnd *rand.Rand) ([]Target, *Outcome) {
	if ip, ok := ParseLiteral(domain); ok && domain[0] == '[' {
		return []Target{{IP: ip}}, nil
	}
	mxs, mxSecure, err := look.mx(ctx, domain)
	if err != nil && dnsclient.IsTemporary(err) {
		return nil, &outDNSTemp
	}
	if err != nil || len(mxs) == 0 {
		ts, o := ResolveRelay(ctx, r, domain)
		if o != nil {
			return nil, o
		}
		return ts, nil
	}
	if len(mxs) == 1 && mxs[0].Host == "" {
		o := outNullMX(domain)
		return nil, &o
	}
	// Shuffle, then sort stably by preference: equal preferences end up in
	// random order.
	rnd.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
	var out []Target
	soft := false
	for _, mx := range mxs {
		if mx.Host == "" {
			continue
		}
		ips, ipSecure, err := look.ip(ctx, mx.Host)
		if err != nil {
			soft = soft || dnsclient.IsTemporary(err)
			continue
		}
		for _, ip := range ips {
			out = append(out, Target{IP: ip.Unmap(), Pref: int(mx.Pref), Name: mx.Host, Secure: mxSecure && ipSecure})
		}
	}
	if len(out) == 0 {
		if soft {
			return nil, &outDNSTemp
		}
		return nil, &outNoMX
	}
	return out, nil
}

// IPMe is the set of this host's addresses (mta/ipme): 0.0.0.0 and ::,
// the addresses of the interfaces that are up, and control/moreipme.
func IPMe(more []netip.Addr) map[netip.Addr]bool {
	list, _ := ipme.List(more)
	return ipme.Set(list)
}

// dropSelf applies qmail-remote's rule against mail loops: when one of the
// exchangers is this host, only exchangers with a strictly lower
// preference are tried; when none is left, the host is a best-preference
// MX that is not in control/locals and the message bounces.
func dropSelf(ts []Target, me map[netip.Addr]bool) ([]Target, *Outcome) {
	prefme := -1
	for _, t := range ts {
		if me[t.IP] && (prefme < 0 || t.Pref < prefme) {
			prefme = t.Pref
		}
	}
	if prefme < 0 {
		return ts, nil
	}
	var out []Target
	for _, t := range ts {
		if t.Pref < prefme {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, &outAmbigMX
	}
	return out, nil
}
