package dnsclient

import (
	"context"
	"encoding/hex"
	"net/netip"

	"github.com/miekg/dns"
)

// The lookups below are for DANE (RFC 7672), which trusts an answer only
// when it is authenticated. The resolver does no DNSSEC validation of its
// own: as Postfix's "dnssec" level does, it asks the configured caches
// with the AD bit set (RFC 6840 section 5.7) and believes the AD bit of
// their replies. That is sound only when the caches validate and the path
// to them is trusted (a resolver on the same host); the AD bit of any
// other server means nothing. The boolean each returns is true when every
// reply the answer came from (every link of a CNAME chain) carried AD.
// A negative answer returns the same errors as the plain lookups, with
// the boolean telling whether the denial was authenticated.

// MXAD is MX with the AD bit asked for and reported.
func (r *Resolver) MXAD(ctx context.Context, name string) ([]MX, bool, error) {
	rrs, ad, err := r.lookupAD(ctx, name, dns.TypeMX, true)
	if err != nil {
		return nil, ad, err
	}
	return mxRecords(rrs), ad, nil
}

// IPAD is IP with the AD bit asked for: the addresses are authenticated
// only when both the A and the AAAA answers are.
func (r *Resolver) IPAD(ctx context.Context, name string) ([]netip.Addr, bool, error) {
	rrs4, ad4, err4 := r.lookupAD(ctx, name, dns.TypeA, true)
	if IsTemporary(err4) {
		return nil, false, err4
	}
	rrs6, ad6, err6 := r.lookupAD(ctx, name, dns.TypeAAAA, true)
	if IsTemporary(err6) {
		return nil, false, err6
	}
	out := append(aRecords(rrs4), aaaaRecords(rrs6)...)
	if len(out) == 0 {
		if err4 != nil {
			return nil, ad4 && ad6, err4
		}
		return nil, ad4 && ad6, err6
	}
	return out, ad4 && ad6, nil
}

// TLSA is one TLSA record (RFC 6698 section 2.1): the certificate usage,
// the selector, the matching type and the certificate association data.
type TLSA struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// TLSA returns the TLSA records of name (such as "_25._tcp.mx.example"),
// with the AD bit asked for and reported. A record whose data is not
// hexadecimal (which miekg/dns never gives for a record it decoded from
// the wire) is left out.
func (r *Resolver) TLSA(ctx context.Context, name string) ([]TLSA, bool, error) {
	rrs, ad, err := r.lookupAD(ctx, name, dns.TypeTLSA, true)
	if err != nil {
		return nil, ad, err
	}
	out := make([]TLSA, 0, len(rrs))
	for _, rr := range rrs {
		t := rr.(*dns.TLSA)
		data, err := hex.DecodeString(t.Certificate)
		if err != nil {
			continue
		}
		out = append(out, TLSA{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: data})
	}
	return out, ad, nil
}
