package spf

import (
	"context"
	"net/netip"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
)

// countingDNS counts the queries a check sends.
type countingDNS struct {
	Resolver
	n int
}

func (c *countingDNS) TXT(ctx context.Context, name string) ([]string, error) {
	c.n++
	return c.Resolver.TXT(ctx, name)
}
func (c *countingDNS) A(ctx context.Context, name string) ([]netip.Addr, error) {
	c.n++
	return c.Resolver.A(ctx, name)
}
func (c *countingDNS) AAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	c.n++
	return c.Resolver.AAAA(ctx, name)
}
func (c *countingDNS) MX(ctx context.Context, name string) ([]dnsclient.MX, error) {
	c.n++
	return c.Resolver.MX(ctx, name)
}
func (c *countingDNS) PTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	c.n++
	return c.Resolver.PTR(ctx, ip)
}

const reviewZone = `
pmacro.test.      TXT "v=spf1 exists:%{p}.%{p}.%{p}.%{p}.%{p}.%{p}.%{p}.%{p}.x.pmacro.test exists:%{p}.%{p}.%{p}.%{p}.%{p}.%{p}.%{p}.%{p}.y.pmacro.test -all"
5.113.0.203.in-addr.arpa. PTR h1.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h2.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h3.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h4.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h5.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h6.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h7.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h8.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h9.pmacro.test.
5.113.0.203.in-addr.arpa. PTR h10.pmacro.test.
latebad.test.     TXT "v=spf1 +all ip4:300.0.0.1"
lateunknown.test. TXT "v=spf1 ?all frobnicate:x"
latemacro.test.   TXT "v=spf1 a -all include:%{z}.test"
`

// Each %{p} in a record asked for the PTR names and every one of their
// addresses again: eight macros in a term made one DNS-counted term cost
// almost a hundred queries, a cheap amplifier for whoever writes the
// record. The validated names are the same for the whole check.
func TestPMacroLooksUpOnce(t *testing.T) {
	srv := dnstest.Start(t, reviewZone)
	dns := &countingDNS{Resolver: dnsclient.New([]string{srv.Addr})}
	c := &Checker{DNS: dns}
	out := c.Check(context.Background(), netip.MustParseAddr("203.0.113.5"), "a@pmacro.test", "h")
	if out.Result != Fail {
		t.Fatalf("result %+v", out)
	}
	// TXT, PTR, at most 10 A for the names, two exists.
	if dns.n > 1+1+10+2 {
		t.Fatalf("%d DNS queries for one check", dns.n)
	}
}

// RFC 7208 4.6: a syntax error anywhere in the record is a permerror,
// even after a mechanism that matches.
func TestSyntaxErrorAfterMatchIsPermError(t *testing.T) {
	srv := dnstest.Start(t, reviewZone)
	for _, sender := range []string{"a@latebad.test", "a@lateunknown.test", "a@latemacro.test"} {
		c := &Checker{DNS: dnsclient.New([]string{srv.Addr})}
		out := c.Check(context.Background(), netip.MustParseAddr("192.0.2.1"), sender, "h")
		if out.Result != PermError {
			t.Errorf("%s: %+v, want permerror", sender, out)
		}
	}
}

// RFC 7208 4.6.1: mechanism names are case-insensitive, "IP4:" included.
func TestUpperCaseIPMechanisms(t *testing.T) {
	srv := dnstest.Start(t, reviewZone+"upper.test. TXT \"v=spf1 IP4:192.0.2.0/24 Ip6:2001:db8::/32 -ALL\"\n")
	for _, ip := range []string{"192.0.2.1", "2001:db8::1"} {
		c := &Checker{DNS: dnsclient.New([]string{srv.Addr})}
		out := c.Check(context.Background(), netip.MustParseAddr(ip), "a@upper.test", "h")
		if out.Result != Pass {
			t.Errorf("%s: %+v, want pass", ip, out)
		}
	}
}
