package mtasts

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/tlsrpt"
)

// txtDNS answers TXT questions from a map; a name mapped to nil fails
// for now.
type txtDNS struct {
	mu sync.Mutex
	m  map[string][]string
}

func (d *txtDNS) set(name string, txts ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.m[name] = txts
}

func (d *txtDNS) TXT(_ context.Context, name string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[name]
	if !ok {
		return nil, &dnsclient.Error{Name: name, Type: "TXT", Err: dnsclient.ErrNXDomain}
	}
	if v == nil {
		return nil, errors.New("temporary failure")
	}
	return v, nil
}

// Discover, step by step through a policy's life: first fetch, the
// cache while the id stays, a new fetch when it changes, the cache when
// the record goes or the host fails, nothing once the policy expired.
func TestDiscover(t *testing.T) {
	ca := testbin.NewCA(t, "Test CA")
	ps := startPolicyServer(t, ca, "mta-sts.example.test")
	ps.serve("text/plain", goodPolicy)
	dns := &txtDNS{m: map[string][]string{}}
	now := time.Now()
	c := &Client{DNS: dns, Fetcher: ps.fetcher(pool(ca)), Cache: &Cache{Dir: t.TempDir()}, Now: func() time.Time { return now }}
	const rec = "_mta-sts.example.test"
	steps := []struct {
		why    string
		before func()
		source Source
		mode   Mode
		hits   int    // fetches so far
		fetch  string // result type of FetchErr, "" for none
	}{
		{"no record, nothing cached: no policy", func() {}, NoPolicy, "", 0, ""},
		{"a record: fetched", func() { dns.set(rec, "v=spf1 -all", "v=STSv1; id=one") }, Fetched, Enforce, 1, ""},
		{"same id: from the cache", func() {}, Cached, Enforce, 1, ""},
		{"id changed: fetched again", func() {
			dns.set(rec, "v=STSv1; id=two")
			ps.serve("text/plain", "version: STSv1\nmode: testing\nmx: mx.example.test\nmax_age: 3600\n")
		}, Fetched, Testing, 2, ""},
		{"record gone: the cache still counts", func() { delete(dns.m, rec) }, Cached, Testing, 2, ""},
		{"DNS failing: the cache still counts", func() { dns.set(rec, nil...); dns.m[rec] = nil }, Cached, Testing, 2, ""},
		{"new id, host failing: the cache, and the failure told", func() {
			dns.set(rec, "v=STSv1; id=three")
			ps.set(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) })
		}, Cached, Testing, 3, tlsrpt.STSPolicyFetch},
		{"the cached policy expired, host failing: no policy", func() { now = now.Add(2 * time.Hour) }, NoPolicy, "", 4, tlsrpt.STSPolicyFetch},
		{"a policy of mode none: no policy", func() {
			dns.set(rec, "v=STSv1; id=four")
			ps.serve("text/plain", "version: STSv1\nmode: none\nmax_age: 3600\n")
		}, NoPolicy, "", 5, ""},
		{"mode none cached: still no policy, no fetch", func() {}, NoPolicy, "", 5, ""},
		{"two records: no policy, the cache unused", func() {
			dns.set(rec, "v=STSv1; id=a", "v=STSv1; id=b")
		}, NoPolicy, "", 5, ""},
	}
	for _, s := range steps {
		s.before()
		d := c.Discover(context.Background(), "example.test")
		mode := Mode("")
		if d.Policy != nil {
			mode = d.Policy.Mode
		}
		fetch := ""
		var fe *FetchError
		if errors.As(d.FetchErr, &fe) {
			fetch = fe.Result
		}
		if d.Source != s.source || mode != s.mode || ps.Hits() != s.hits || fetch != s.fetch {
			t.Fatalf("%s: source %v, mode %q, %d fetches, fetch error %v", s.why, d.Source, mode, ps.Hits(), d.FetchErr)
		}
	}
}

// The cache is what several qmail-remote processes share: one fetch
// serves the next delivery through a new Client.
func TestDiscoverSharesTheCache(t *testing.T) {
	ca := testbin.NewCA(t, "Test CA")
	ps := startPolicyServer(t, ca, "mta-sts.example.test")
	ps.serve("text/plain", goodPolicy)
	dns := &txtDNS{m: map[string][]string{"_mta-sts.example.test": {"v=STSv1; id=one"}}}
	dir := t.TempDir()
	for i := range 3 {
		c := &Client{DNS: dns, Fetcher: ps.fetcher(pool(ca)), Cache: &Cache{Dir: dir}}
		d := c.Discover(context.Background(), "example.test")
		if d.Policy == nil || (i == 0) != (d.Source == Fetched) {
			t.Fatalf("delivery %d: %+v", i, d)
		}
	}
	if ps.Hits() != 1 {
		t.Fatalf("%d fetches", ps.Hits())
	}
}

func TestVerifyMX(t *testing.T) {
	ca := testbin.NewCA(t, "Test CA")
	other := testbin.NewCA(t, "Other CA")
	now := time.Now()
	chain := func(c *testbin.Cert) [][]byte { return append([][]byte{c.DER}, c.Chain...) }
	cases := []struct {
		why    string
		chain  [][]byte
		host   string
		result string
	}{
		{"valid", chain(ca.Issue(t, []string{"mx.example.test"})), "mx.example.test", ""},
		{"wildcard", chain(ca.Issue(t, []string{"*.example.test"})), "mx.example.test", ""},
		{"another name", chain(ca.Issue(t, []string{"mx.other.test"})), "mx.example.test", tlsrpt.CertificateMismatch},
		{"expired", chain(ca.IssueAt(t, now.Add(-2*time.Hour), now.Add(-time.Hour), []string{"mx.example.test"})), "mx.example.test", tlsrpt.CertificateExpired},
		{"unknown CA", chain(other.Issue(t, []string{"mx.example.test"})), "mx.example.test", tlsrpt.CertificateNotTrusted},
		{"self-signed", [][]byte{testbin.NewCert(t, []string{"mx.example.test"}).DER}, "mx.example.test", tlsrpt.CertificateNotTrusted},
		{"nothing", nil, "mx.example.test", tlsrpt.ValidationFailure},
	}
	for _, c := range cases {
		err := VerifyMX(c.chain, c.host, pool(ca), now)
		got := ""
		var ce *CertError
		if errors.As(err, &ce) {
			got = ce.Result
		} else if err != nil {
			got = "?" + err.Error()
		}
		if got != c.result {
			t.Errorf("%s: %q (%v)", c.why, got, err)
		}
	}
}
