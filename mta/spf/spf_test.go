package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
)

const zone = `
pass.test.        TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
fail.test.        TXT "v=spf1 ip4:198.51.100.1 -all"
soft.test.        TXT "v=spf1 ~all"
neutral.test.     TXT "v=spf1 ?all"
nospf.test.       TXT "some other record"
two.test.         TXT "v=spf1 -all"
two.test.         TXT "v=spf1 +all"
bad.test.         TXT "v=spf1 ip4:300.1.1.1 -all"
unknown.test.     TXT "v=spf1 frobnicate -all"
inc.test.         TXT "v=spf1 include:pass.test -all"
incnone.test.     TXT "v=spf1 include:nospf.test -all"
redir.test.       TXT "v=spf1 redirect=pass.test"
a.test.           TXT "v=spf1 a/24 -all"
a.test.           A   192.0.2.200
mx.test.          TXT "v=spf1 mx -all"
mx.test.          MX  10 mail.mx.test.
mail.mx.test.     A   203.0.113.5
exists.test.      TXT "v=spf1 exists:%{ir}.%{v}._spf.%{d} -all"
5.113.0.203.in-addr._spf.exists.test. A 127.0.0.2
ptr.test.         TXT "v=spf1 ptr -all"
5.113.0.203.in-addr.arpa. PTR host.ptr.test.
host.ptr.test.    A   203.0.113.5
loop.test.        TXT "v=spf1 include:loop.test -all"
many.test.        TXT "v=spf1 a:a1.test a:a2.test a:a3.test a:a4.test a:a5.test a:a6.test a:a7.test a:a8.test a:a9.test a:a10.test a:a11.test -all"
voids.test.       TXT "v=spf1 a:v1.test a:v2.test a:v3.test -all"
expl.test.        TXT "v=spf1 -all exp=why.expl.test"
why.expl.test.    TXT "%{i} is not one of %{d}'s servers"
helo.test.        TXT "v=spf1 ip4:192.0.2.7 -all"
down.test.        TXT "v=spf1 -all"
`

func check(t *testing.T, srv *dnstest.Server, ip, sender, helo string) Outcome {
	t.Helper()
	c := &Checker{DNS: dnsclient.New([]string{srv.Addr}), Receiver: "mx.receiver.test"}
	return c.Check(context.Background(), netip.MustParseAddr(ip), sender, helo)
}

func TestResults(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("down.test", dnstest.ServFail)
	cases := []struct {
		why, ip, sender, helo string
		want                  Result
	}{
		{"ip4 match", "192.0.2.1", "a@pass.test", "h", Pass},
		{"ip6 match", "2001:db8::25", "a@pass.test", "h", Pass},
		{"v4-mapped client is checked as IPv4", "::ffff:192.0.2.1", "a@pass.test", "h", Pass},
		{"no match, -all", "203.0.113.1", "a@pass.test", "h", Fail},
		{"softfail", "203.0.113.1", "a@soft.test", "h", SoftFail},
		{"neutral", "203.0.113.1", "a@neutral.test", "h", Neutral},
		{"no SPF record", "203.0.113.1", "a@nospf.test", "h", None},
		{"nonexistent domain", "203.0.113.1", "a@nxdomain.test", "h", None},
		{"DNS failure is temperror", "203.0.113.1", "a@down.test", "h", TempError},
		{"two records is permerror", "203.0.113.1", "a@two.test", "h", PermError},
		{"bad ip4 is permerror", "203.0.113.1", "a@bad.test", "h", PermError},
		{"unknown mechanism is permerror", "203.0.113.1", "a@unknown.test", "h", PermError},
		{"include passes", "192.0.2.9", "a@inc.test", "h", Pass},
		{"include of a domain without SPF is permerror", "192.0.2.9", "a@incnone.test", "h", PermError},
		{"redirect", "198.51.100.9", "a@redir.test", "h", Fail},
		{"a with prefix", "192.0.2.77", "a@a.test", "h", Pass},
		{"mx", "203.0.113.5", "a@mx.test", "h", Pass},
		{"exists with macros", "203.0.113.5", "a@exists.test", "h", Pass},
		{"exists without the name", "203.0.113.6", "a@exists.test", "h", Fail},
		{"ptr validated", "203.0.113.5", "a@ptr.test", "h", Pass},
		{"include loop hits the limit", "203.0.113.5", "a@loop.test", "h", PermError},
		{"more than 10 DNS terms", "203.0.113.5", "a@many.test", "h", PermError},
		{"more than 2 void lookups", "203.0.113.5", "a@voids.test", "h", PermError},
		{"null sender uses the HELO name", "192.0.2.7", "", "helo.test", Pass},
		{"null sender, HELO not allowed", "192.0.2.8", "", "helo.test", Fail},
	}
	for _, c := range cases {
		got := check(t, srv, c.ip, c.sender, c.helo)
		if got.Result != c.want {
			t.Errorf("%s: %s (%s), want %s", c.why, got.Result, got.Explanation, c.want)
		}
	}
}

func TestExplanation(t *testing.T) {
	srv := dnstest.Start(t, zone)
	got := check(t, srv, "203.0.113.9", "x@expl.test", "h")
	if got.Result != Fail || got.Explanation != "203.0.113.9 is not one of expl.test's servers" {
		t.Fatalf("%+v", got)
	}
}

func TestLocalRules(t *testing.T) {
	srv := dnstest.Start(t, zone)
	c := &Checker{DNS: dnsclient.New([]string{srv.Addr}), LocalRules: "ip4:203.0.113.77"}
	got := c.Check(context.Background(), netip.MustParseAddr("203.0.113.77"), "a@fail.test", "h")
	if got.Result != Pass {
		t.Fatalf("local rule before -all did not apply: %+v", got)
	}
}

// The macro examples of RFC 7208 section 7.4.
func TestMacroExamples(t *testing.T) {
	st := &state{c: &Checker{}, ip: netip.MustParseAddr("192.0.2.3"), sender: "strong-bad@email.example.com", helo: "h"}
	cases := map[string]string{
		"%{s}":                              "strong-bad@email.example.com",
		"%{o}":                              "email.example.com",
		"%{d}":                              "email.example.com",
		"%{d4}":                             "email.example.com",
		"%{d3}":                             "email.example.com",
		"%{d2}":                             "example.com",
		"%{d1}":                             "com",
		"%{dr}":                             "com.example.email",
		"%{d2r}":                            "example.email",
		"%{l}":                              "strong-bad",
		"%{l-}":                             "strong.bad",
		"%{lr}":                             "strong-bad",
		"%{lr-}":                            "bad.strong",
		"%{l1r-}":                           "strong",
		"%{ir}.%{v}._spf.%{d2}":             "3.2.0.192.in-addr._spf.example.com",
		"%{lr-}.lp._spf.%{d2}":              "bad.strong.lp._spf.example.com",
		"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}":   "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
		"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}":  "3.2.0.192.in-addr.strong.lp._spf.example.com",
		"%{d2}.trusted-domains.example.net": "example.com.trusted-domains.example.net",
	}
	for in, want := range cases {
		got, err := st.expand(in, "email.example.com", false)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", in, got, err, want)
		}
	}
	st.ip = netip.MustParseAddr("2001:db8::cb01")
	got, _ := st.expand("%{ir}.%{v}._spf.%{d2}", "email.example.com", false)
	if want := "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"; got != want {
		t.Errorf("IPv6 %%{ir}: %q", got)
	}
	for _, bad := range []string{"%", "%{", "%{x}", "%{d0}", "%{c}", "%{d2q}", "a b"} {
		if _, err := st.expand(bad, "d.example", false); err == nil {
			t.Errorf("%q expanded without error", bad)
		}
	}
}

func FuzzRecord(f *testing.F) {
	f.Add("v=spf1 ip4:192.0.2.0/24 a mx/24//64 exists:%{ir}.x include:y redirect=z exp=e -all")
	f.Add("v=spf1 %{")
	f.Add("v=spf1 ip6:::1/129 ?all")
	f.Fuzz(func(t *testing.T, record string) {
		if strings.ContainsAny(record, "\x00\n\r") {
			return
		}
		st := &state{c: &Checker{DNS: noDNS{}}, ctx: context.Background(), ip: netip.MustParseAddr("192.0.2.1"), sender: "a@b.example", helo: "h"}
		for _, term := range strings.Fields(record) {
			st.mechanism("b.example", term)
			st.expand(term, "b.example", false)
			st.expand(term, "b.example", true)
		}
	})
}
