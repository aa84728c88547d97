package dnsclient

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// MX is one mail exchanger.
type MX struct {
	Pref uint16
	Host string // as hostName gives it; "" for a null MX (RFC 7505)
}

// lookup resolves name and qtype, following CNAMEs, and returns the records
// of qtype found at the chain's end.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	rrs, _, err := r.lookupAD(ctx, name, qtype, false)
	return rrs, err
}

// lookupAD is lookup that, with ad, asks for the AD bit and reports
// whether every reply the answer came from carried it: whether the
// resolver authenticated the whole chain.
func (r *Resolver) lookupAD(ctx context.Context, name string, qtype uint16, ad bool) ([]dns.RR, bool, error) {
	fail := func(err error, temporary bool) error {
		return &Error{Name: name, Type: dns.TypeToString[qtype], Err: err, temporary: temporary}
	}
	qname, ok := fqdn(name)
	if !ok {
		return nil, false, fail(ErrInvalidName, false)
	}
	links := 0
	authentic := ad
	for {
		reply, err := r.exchange(ctx, qname, qtype, ad)
		if err != nil {
			return nil, false, fail(err, true)
		}
		authentic = authentic && reply.AuthenticatedData
		a, ok := readAnswer(reply, qname, qtype, MaxCNAME-links)
		if !ok {
			return nil, false, fail(ErrCNAMELoop, true)
		}
		if len(a.records) > 0 {
			return a.records, authentic, nil
		}
		if a.nx {
			return nil, authentic, fail(ErrNXDomain, false)
		}
		if a.links == 0 {
			return nil, authentic, fail(ErrNoData, false)
		}
		// The chain ended in a name the reply says nothing about: a cache
		// that did not chase the alias. Ask for the end in turn.
		links += a.links
		qname = a.end
	}
}

// fqdn checks name and returns it with the trailing dot the wire form needs,
// in miekg/dns's canonical presentation form (bytes such as '@' or ';'
// escaped), which is how names in replies come back, so that the question
// and the answers compare equal. A backslash is refused: the name given is
// taken byte for byte, never as escapes.
func fqdn(name string) (string, bool) {
	n := strings.TrimSuffix(name, ".")
	if n == "" || len(n) > 253 {
		return "", false
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; c <= ' ' || c >= 0x7f || c == '\\' {
				return "", false
			}
		}
	}
	var buf [256]byte
	off, err := dns.PackDomainName(n+".", buf[:], 0, nil, false)
	if err != nil {
		return "", false
	}
	canon, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return "", false
	}
	return canon, true
}

// hostName turns a name from an answer into the form programs use: lower
// case, no trailing dot. A byte that is not a letter, digit, hyphen or
// underscore stays escaped as miekg/dns writes it ("\032" for a space, like
// djbdns's octal escapes), so such a name can never pass for a plain one.
func hostName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// A returns the IPv4 addresses of name.
func (r *Resolver) A(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeA)
	if err != nil {
		return nil, err
	}
	return aRecords(rrs), nil
}

func aRecords(rrs []dns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		if a, ok := netip.AddrFromSlice(rr.(*dns.A).A.To4()); ok {
			out = append(out, a)
		}
	}
	return out
}

// AAAA returns the IPv6 addresses of name.
func (r *Resolver) AAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeAAAA)
	if err != nil {
		return nil, err
	}
	return aaaaRecords(rrs), nil
}

func aaaaRecords(rrs []dns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		if a, ok := netip.AddrFromSlice(rr.(*dns.AAAA).AAAA.To16()); ok {
			out = append(out, a)
		}
	}
	return out
}

// IP returns the IPv4 addresses of name followed by its IPv6 addresses. A
// temporary failure of either lookup fails the whole (an address list that
// silently lacks half is worse than a retry); ErrNotFound only when neither
// type exists.
func (r *Resolver) IP(ctx context.Context, name string) ([]netip.Addr, error) {
	v4, err4 := r.A(ctx, name)
	if IsTemporary(err4) {
		return nil, err4
	}
	v6, err6 := r.AAAA(ctx, name)
	if IsTemporary(err6) {
		return nil, err6
	}
	out := append(v4, v6...)
	if len(out) == 0 {
		if err4 != nil {
			return nil, err4
		}
		return nil, err6
	}
	return out, nil
}

// TXT returns one string per TXT record, its character-strings concatenated
// (RFC 7208 section 3.3), as the bytes that were on the wire.
func (r *Resolver) TXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		var b strings.Builder
		for _, s := range rr.(*dns.TXT).Txt {
			b.WriteString(unescapeTXT(s))
		}
		out = append(out, b.String())
	}
	return out, nil
}

// MX returns the mail exchangers of name in the order of the answer;
// sorting and shuffling equal preferences is the caller's business.
func (r *Resolver) MX(ctx context.Context, name string) ([]MX, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	return mxRecords(rrs), nil
}

func mxRecords(rrs []dns.RR) []MX {
	out := make([]MX, 0, len(rrs))
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		out = append(out, MX{Pref: mx.Preference, Host: hostName(mx.Mx)})
	}
	return out
}

// CNAME returns the name that name is an alias of (its CNAME record's
// target), one link only, as qmail's dns_cname asks for each link of a
// chain; ErrNotFound when name is not an alias.
func (r *Resolver) CNAME(ctx context.Context, name string) (string, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeCNAME)
	if err != nil {
		return "", err
	}
	return hostName(rrs[0].(*dns.CNAME).Target), nil
}

// PTR returns the names ip points back to (in-addr.arpa for IPv4 and
// v4-mapped IPv6, ip6.arpa otherwise).
func (r *Resolver) PTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	rrs, err := r.lookup(ctx, ReverseName(ip), dns.TypePTR)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, hostName(rr.(*dns.PTR).Ptr))
	}
	return out, nil
}

// Reverse returns the labels that name ip under a reverse zone or a DNSBL,
// without a trailing dot: "4.3.2.1" for 1.2.3.4, 32 nibbles for IPv6
// (RFC 3596 section 2.5). A v4-mapped address is taken as the IPv4 address.
// It returns "" for the zero Addr.
func Reverse(ip netip.Addr) string {
	ip = ip.Unmap()
	var b strings.Builder
	switch {
	case ip.Is4():
		a := ip.As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(a[i])))
			if i > 0 {
				b.WriteByte('.')
			}
		}
	case ip.Is6():
		a := ip.As16()
		const hex = "0123456789abcdef"
		for i := 15; i >= 0; i-- {
			b.WriteByte(hex[a[i]&0xf])
			b.WriteByte('.')
			b.WriteByte(hex[a[i]>>4])
			if i > 0 {
				b.WriteByte('.')
			}
		}
	}
	return b.String()
}

// ReverseName returns the PTR name of ip, such as "4.3.2.1.in-addr.arpa".
func ReverseName(ip netip.Addr) string {
	if ip.Unmap().Is4() {
		return Reverse(ip) + ".in-addr.arpa"
	}
	return Reverse(ip) + ".ip6.arpa"
}
