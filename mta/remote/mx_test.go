package remote

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
)

// MX delivery with DNS from dnstest: the servers listen on 127.0.0.2 and
// the port of control/smtpport; 127.0.0.3 listens on nothing.
func TestMXDelivery(t *testing.T) {
	srv := startFake(t, "127.0.0.2:0", nil)
	zone := `
		fallback.test.     MX 10 dead.fallback.test.
		fallback.test.     MX 20 live.fallback.test.
		dead.fallback.test.  A 127.0.0.3
		live.fallback.test.  A 127.0.0.2
		implicit.test.     A 127.0.0.2
		alias.test.        CNAME fallback.test.
		selfbest.test.     MX 10 me.selfbest.test.
		selfbest.test.     MX 20 live.fallback.test.
		me.selfbest.test.  A 127.0.0.1
		selfworse.test.    MX 30 me.selfbest.test.
		selfworse.test.    MX 20 live.fallback.test.
		nullmx.test.       MX 0 .
		noaddr.test.       MX 10 nowhere.noaddr.test.
		nowhere.noaddr.test. TXT "no address here"
		v6only.test.       AAAA ::1
	`
	in := newInstance(t, zone, map[string]string{"smtpport": srv.Port()})
	cases := []struct {
		why, domain, want string
	}{
		{"a dead MX is passed over for the next preference", "fallback.test", "K127.0.0.2 accepted message.\n"},
		{"no MX: the domain's own address", "implicit.test", "K127.0.0.2 accepted message.\n"},
		{"a CNAME to a domain with MX", "alias.test", "K127.0.0.2 accepted message.\n"},
		{"an address literal", "[127.0.0.2]", "K127.0.0.2 accepted message.\n"},
		{"this host is the best MX: bounce as qmail does", "selfbest.test", "DSorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n"},
		{"this host is a worse MX: better ones are tried", "selfworse.test", "K127.0.0.2 accepted message.\n"},
		{"a name that does not exist", "nx.test", "DSorry, I couldn't find any host named nx.test. (#5.1.2)\n"},
		{"a null MX", "nullmx.test", "DSorry, nullmx.test does not accept mail (null MX). (#5.1.10)\n"},
		{"an MX without addresses", "noaddr.test", "DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n"},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			rep := in.run(t, testMessage, c.domain, "a@quail.test", "x@"+c.domain)
			got := last(rep)
			if got[0] == 'K' {
				got = got[:strings.Index(got, "\n")+1]
			}
			if got != c.want {
				t.Fatalf("reports %q", rep)
			}
		})
	}
}

func TestDNSTemporaryFailure(t *testing.T) {
	in := newInstance(t, "ok.test. A 127.0.0.2", map[string]string{})
	in.env = append(in.env, "DNSCACHEIP=127.0.0.1:1") // nobody answers there
	rep := in.run(t, testMessage, "ok.test", "a@quail.test", "x@ok.test")
	if len(rep) != 1 || rep[0] != "ZSorry, I couldn't find any host by that name. (#4.1.2)\n" {
		t.Fatalf("reports %q", rep)
	}
}

// fakeResolver answers from maps, for the ordering rules.
type fakeResolver struct {
	mx  map[string][]dnsclient.MX
	ips map[string][]netip.Addr
}

func (f fakeResolver) MX(_ context.Context, n string) ([]dnsclient.MX, error) {
	if m, ok := f.mx[n]; ok {
		return append([]dnsclient.MX(nil), m...), nil
	}
	return nil, &dnsclient.Error{Name: n, Type: "MX", Err: dnsclient.ErrNotFound}
}

func (f fakeResolver) IP(_ context.Context, n string) ([]netip.Addr, error) {
	if a, ok := f.ips[n]; ok {
		return a, nil
	}
	return nil, &dnsclient.Error{Name: n, Type: "A", Err: dnsclient.ErrNotFound}
}

// Preferences are sorted; equal ones come in every order over many runs;
// an exchanger's IPv4 and IPv6 addresses stay together.
func TestMXOrder(t *testing.T) {
	a := netip.MustParseAddr
	r := fakeResolver{
		mx: map[string][]dnsclient.MX{"d.test": {{Pref: 20, Host: "c"}, {Pref: 10, Host: "a"}, {Pref: 10, Host: "b"}}},
		ips: map[string][]netip.Addr{
			"a": {a("192.0.2.1"), a("2001:db8::1")},
			"b": {a("192.0.2.2")},
			"c": {a("192.0.2.3")},
		},
	}
	seen := map[string]bool{}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		ts, o := ResolveMX(context.Background(), r, "d.test", rnd)
		if o != nil {
			t.Fatal(o.Text)
		}
		var names []string
		for _, t := range ts {
			names = append(names, t.Name+"="+t.IP.String())
		}
		order := strings.Join(names, " ")
		switch order {
		case "a=192.0.2.1 a=2001:db8::1 b=192.0.2.2 c=192.0.2.3", "b=192.0.2.2 a=192.0.2.1 a=2001:db8::1 c=192.0.2.3":
			seen[order] = true
		default:
			t.Fatalf("order %q", order)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("equal preferences never shuffled: %v", seen)
	}
}
