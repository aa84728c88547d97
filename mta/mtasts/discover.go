package mtasts

import (
	"context"
	"errors"
	"time"

	"github.com/quail-mta/quail/dnsclient"
)

// TXTResolver is what Discover asks of DNS; *dnsclient.Resolver is one.
type TXTResolver interface {
	TXT(ctx context.Context, name string) ([]string, error)
}

// Client finds the policies of recipient domains.
type Client struct {
	DNS     TXTResolver
	Fetcher *Fetcher
	Cache   *Cache // nil: nothing is kept between deliveries
	Now     func() time.Time
}

// Source says where a Discovery's policy came from.
type Source int

const (
	NoPolicy Source = iota // no policy applies
	Cached                 // the cache, the record's id unchanged (or the record gone)
	Fetched                // fetched now
)

// Discovery is what Discover found for one domain.
type Discovery struct {
	Policy *Policy // nil with NoPolicy; never of mode none
	Source Source
	// FetchErr is set when the domain has a record but its policy could
	// not be fetched (a *FetchError): with a cached policy the cache is
	// used, without one there is no policy, and TLS-RPT hears of it.
	FetchErr error
}

// Discover finds domain's policy (RFC 8461 sections 3.3 and 5.1; see the
// package comment). It never fails: what cannot be found is no policy.
func (c *Client) Discover(ctx context.Context, domain string) Discovery {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	var cached *Entry
	if c.Cache != nil {
		if e := c.Cache.Get(domain); e != nil && now().Before(e.Expires()) {
			cached = e
		}
	}
	fromCache := func() Discovery {
		if cached == nil || cached.Policy.Mode == None {
			return Discovery{}
		}
		return Discovery{Policy: cached.Policy, Source: Cached}
	}
	txts, err := c.DNS.TXT(ctx, RecordName(domain))
	if err != nil && !errors.Is(err, dnsclient.ErrNotFound) {
		return fromCache() // a temporary failure
	}
	id, err := FindRecord(txts)
	if err != nil {
		return fromCache()
	}
	if cached != nil && cached.ID == id {
		return fromCache()
	}
	p, err := c.Fetcher.Fetch(ctx, domain)
	if err != nil {
		d := fromCache()
		d.FetchErr = err
		return d
	}
	if c.Cache != nil {
		// A cache that cannot be written costs a fetch per delivery, no
		// more.
		c.Cache.Put(domain, &Entry{Fetched: now(), ID: id, Policy: p})
	}
	if p.Mode == None {
		return Discovery{}
	}
	return Discovery{Policy: p, Source: Fetched}
}
