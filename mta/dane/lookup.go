package dane

import (
	"context"
	"errors"
	"strconv"

	"github.com/quail-mta/quail/dnsclient"
)

// Resolver is what Lookup asks of DNS; *dnsclient.Resolver is one.
type Resolver interface {
	TLSA(ctx context.Context, name string) ([]dnsclient.TLSA, bool, error)
}

// Status is what DANE says about one server host.
type Status int

const (
	// None: no authenticated TLSA records; DANE does not apply.
	None Status = iota
	// Authenticated: usable records; TLS authenticated by them is
	// required.
	Authenticated
	// Unauthenticated: authenticated TLSA records, none usable; TLS is
	// required, its certificate not checked (RFC 7672 section 2.2).
	Unauthenticated
	// Unavailable: the TLSA lookup failed for now; the host must not be
	// used (RFC 7672 section 2.2.1).
	Unavailable
)

// Name is the TLSA owner name of a service: "_25._tcp.mx.example.com".
func Name(host string, port int) string {
	return "_" + strconv.Itoa(port) + "._tcp." + host
}

// Lookup finds the TLSA records of host's SMTP service on port. The
// caller has made sure the host's name and addresses were authenticated;
// records are returned only with Authenticated and Unauthenticated.
func Lookup(ctx context.Context, r Resolver, host string, port int) (Status, []Record, error) {
	recs, ad, err := r.TLSA(ctx, Name(host, port))
	if err != nil {
		if dnsclient.IsTemporary(err) {
			return Unavailable, nil, err
		}
		if errors.Is(err, dnsclient.ErrNotFound) {
			return None, nil, nil
		}
		// An invalid name cannot have records.
		return None, nil, nil
	}
	if !ad || len(recs) == 0 {
		return None, nil, nil
	}
	out := make([]Record, len(recs))
	for i, t := range recs {
		out[i] = Record{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: t.Data}
	}
	if len(Usable(out)) == 0 {
		return Unauthenticated, out, nil
	}
	return Authenticated, out, nil
}
