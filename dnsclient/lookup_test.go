package dnsclient_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
)

const zone = `
mail.example.        A     192.0.2.25
mail.example.        AAAA  2001:db8::25
v4only.example.      A     192.0.2.4
v6only.example.      AAAA  2001:db8::6
example.             MX    10 Mail.Example.
example.             MX    20 backup.example.
example.             TXT   "v=spf1 " "ip4:192.0.2.0/24 " "-all"
example.             TXT   "second record"
nullmx.example.      MX    0 .
www.example.         CNAME alias.example.
alias.example.       CNAME mail.example.
dangling.example.    CNAME nowhere.example.
loop1.example.       CNAME loop2.example.
loop2.example.       CNAME loop1.example.
25.2.0.192.in-addr.arpa. PTR Mail.Example.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR six.example.
deep.sub.example.    A     192.0.2.9
odd\@\;\(x\)\"$.example. A  192.0.2.64
escaped.example.     TXT   "tab\009quote\"back\\ \195\169"
`

func resolver(srv ...*dnstest.Server) *dnsclient.Resolver {
	var addrs []string
	for _, s := range srv {
		addrs = append(addrs, s.Addr)
	}
	r := dnsclient.New(addrs)
	// Short tries keep the failure cases quick; the schedule is still
	// exercised (several rounds).
	r.Timeouts = []time.Duration{150 * time.Millisecond, 300 * time.Millisecond}
	return r
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestLookups(t *testing.T) {
	srv := dnstest.Start(t, zone)
	r := resolver(srv)
	tests := []struct {
		why  string
		run  func() (any, error)
		want any
	}{
		{"A record", func() (any, error) { return r.A(ctx(t), "mail.example") }, addrs("192.0.2.25")},
		{"trailing dot and upper case are the same name", func() (any, error) { return r.A(ctx(t), "MAIL.example.") }, addrs("192.0.2.25")},
		{"bytes special to miekg/dns in a name", func() (any, error) { return r.A(ctx(t), `odd@;(x)"$.example`) }, addrs("192.0.2.64")},
		{"AAAA record", func() (any, error) { return r.AAAA(ctx(t), "mail.example") }, addrs("2001:db8::25")},
		{"IP gives A then AAAA", func() (any, error) { return r.IP(ctx(t), "mail.example") }, addrs("192.0.2.25", "2001:db8::25")},
		{"IP with only AAAA", func() (any, error) { return r.IP(ctx(t), "v6only.example") }, addrs("2001:db8::6")},
		{"IP with only A", func() (any, error) { return r.IP(ctx(t), "v4only.example") }, addrs("192.0.2.4")},
		{"TXT strings of a record are concatenated, one string per record", func() (any, error) { return r.TXT(ctx(t), "example") },
			[]string{"v=spf1 ip4:192.0.2.0/24 -all", "second record"}},
		{"TXT gives the bytes on the wire, not miekg/dns's escapes", func() (any, error) { return r.TXT(ctx(t), "escaped.example") },
			[]string{"tab\tquote\"back\\ \u00e9"}},
		{"MX in answer order, host lower-cased without dot", func() (any, error) { return r.MX(ctx(t), "example") },
			[]dnsclient.MX{{10, "mail.example"}, {20, "backup.example"}}},
		{"null MX has an empty host", func() (any, error) { return r.MX(ctx(t), "nullmx.example") }, []dnsclient.MX{{0, ""}}},
		{"CNAME chain of two links is followed", func() (any, error) { return r.A(ctx(t), "www.example") }, addrs("192.0.2.25")},
		{"PTR for IPv4, lower-cased", func() (any, error) { return r.PTR(ctx(t), netip.MustParseAddr("192.0.2.25")) }, []string{"mail.example"}},
		{"PTR for v4-mapped IPv6 uses in-addr.arpa", func() (any, error) { return r.PTR(ctx(t), netip.MustParseAddr("::ffff:192.0.2.25")) }, []string{"mail.example"}},
		{"PTR for IPv6 uses nibbles under ip6.arpa", func() (any, error) { return r.PTR(ctx(t), netip.MustParseAddr("2001:db8::25")) }, []string{"six.example"}},
	}
	for _, tc := range tests {
		got, err := tc.run()
		if err != nil {
			t.Errorf("%s: %v", tc.why, err)
			continue
		}
		if !equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.why, got, tc.want)
		}
	}
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case []netip.Addr:
		return slices.Equal(a, b.([]netip.Addr))
	case []string:
		return slices.Equal(a, b.([]string))
	case []dnsclient.MX:
		return slices.Equal(a, b.([]dnsclient.MX))
	}
	return false
}

func TestNegativeAnswers(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("servfail.example", dnstest.ServFail)
	srv.Fail("refused.example", dnstest.Refused)
	srv.Fail("silent.example", dnstest.Timeout)
	r := resolver(srv)
	tests := []struct {
		why       string
		err       error
		notFound  bool
		temporary bool
	}{
		{"NXDOMAIN is not found", first(r.A(ctx(t), "nosuch.example")), true, false},
		{"NXDOMAIN is ErrNXDomain", nxOnly(first(r.A(ctx(t), "nosuch.example"))), true, false},
		{"no data is ErrNoData", noDataOnly(first(r.AAAA(ctx(t), "v4only.example"))), true, false},
		{"name without that type is not found", first(r.AAAA(ctx(t), "v4only.example")), true, false},
		{"an empty non-terminal has no data", first(r.A(ctx(t), "sub.example")), true, false},
		{"IP of a name without addresses is not found", first(r.IP(ctx(t), "example")), true, false},
		{"a CNAME to a missing name is not found", first(r.A(ctx(t), "dangling.example")), true, false},
		{"MX of a missing name is not found", first(r.MX(ctx(t), "nosuch.example")), true, false},
		{"SERVFAIL is temporary", first(r.TXT(ctx(t), "servfail.example")), false, true},
		{"REFUSED is temporary", first(r.TXT(ctx(t), "refused.example")), false, true},
		{"no answer at all is temporary", first(r.A(ctx(t), "silent.example")), false, true},
		{"IP fails temporarily when a lookup does", first(r.IP(ctx(t), "servfail.example")), false, true},
		{"a CNAME loop is temporary, not endless", first(r.A(ctx(t), "loop1.example")), false, true},
	}
	for _, tc := range tests {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.why)
			continue
		}
		if got := errors.Is(tc.err, dnsclient.ErrNotFound); got != tc.notFound {
			t.Errorf("%s: ErrNotFound=%v, want %v (%v)", tc.why, got, tc.notFound, tc.err)
		}
		if got := dnsclient.IsTemporary(tc.err); got != tc.temporary {
			t.Errorf("%s: IsTemporary=%v, want %v (%v)", tc.why, got, tc.temporary, tc.err)
		}
	}
}

// nxOnly keeps err only when it is ErrNXDomain and not ErrNoData.
func nxOnly(err error) error {
	if errors.Is(err, dnsclient.ErrNXDomain) && !errors.Is(err, dnsclient.ErrNoData) {
		return err
	}
	return nil
}

// noDataOnly keeps err only when it is ErrNoData and not ErrNXDomain.
func noDataOnly(err error) error {
	if errors.Is(err, dnsclient.ErrNoData) && !errors.Is(err, dnsclient.ErrNXDomain) {
		return err
	}
	return nil
}

func first[T any](_ T, err error) error { return err }

func TestInvalidNamesAreNotSent(t *testing.T) {
	srv := dnstest.Start(t, zone)
	r := resolver(srv)
	for _, name := range []string{
		"",                                    // empty
		".",                                   // the root is no host
		"a..example",                          // empty label
		strings.Repeat("a", 64) + ".example",  // label too long
		strings.Repeat("a.", 127) + "example", // name too long
		"back\\slash.example",                 // would be an escape to miekg/dns
		"sp ace.example",                      // space
		"nul\x00.example",                     // control byte
	} {
		_, err := r.A(ctx(t), name)
		if !errors.Is(err, dnsclient.ErrInvalidName) || dnsclient.IsTemporary(err) {
			t.Errorf("%q: got %v, want permanent ErrInvalidName", name, err)
		}
	}
	if q := srv.Queries(); len(q) != 0 {
		t.Errorf("invalid names reached the server: %v", q)
	}
}

func TestNextServerAfterFailure(t *testing.T) {
	for _, fault := range []dnstest.Fault{dnstest.ServFail, dnstest.Refused, dnstest.Timeout} {
		bad := dnstest.Start(t, zone)
		good := dnstest.Start(t, zone)
		bad.Fail("mail.example", fault)
		got, err := resolver(bad, good).A(ctx(t), "mail.example")
		if err != nil || !slices.Equal(got, addrs("192.0.2.25")) {
			t.Errorf("fault %d on the first server: got %v, %v", fault, got, err)
		}
		if bad.Asked("mail.example", "A") == 0 || good.Asked("mail.example", "A") == 0 {
			t.Errorf("fault %d: both servers should have been asked: %v %v", fault, bad.Queries(), good.Queries())
		}
	}
}

func TestDefiniteFailureIsNotRetried(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("servfail.example", dnstest.ServFail)
	_, err := resolver(srv).A(ctx(t), "servfail.example")
	if !dnsclient.IsTemporary(err) {
		t.Fatalf("got %v", err)
	}
	if n := srv.Asked("servfail.example", "A"); n != 1 {
		t.Errorf("a server that answered SERVFAIL was asked %d times, want 1", n)
	}
}

func TestTimeoutRetriesEachRound(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("silent.example", dnstest.Timeout)
	_, err := resolver(srv).A(ctx(t), "silent.example")
	if !dnsclient.IsTemporary(err) {
		t.Fatalf("got %v", err)
	}
	if n := srv.Asked("silent.example", "A"); n != 2 {
		t.Errorf("silent server asked %d times, want once per round (2)", n)
	}
}

func TestContextBoundsTheLookup(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("silent.example", dnstest.Timeout)
	r := dnsclient.New([]string{srv.Addr}) // default schedule: 60 s in all
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := r.A(c, "silent.example"); done <- err }()
	select {
	case err := <-done:
		if !dnsclient.IsTemporary(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want a temporary deadline error", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("lookup ignored its context deadline")
	}
}

func TestTruncatedReplyGoesToTCP(t *testing.T) {
	big := strings.Repeat("x", 200)
	srv := dnstest.Start(t, zone+`
big.example. TXT "`+big+`" "`+big+`"
big.example. TXT "`+big+`"
`)
	srv.Fail("forced.example", dnstest.Truncate)
	srv.Add(t, `forced.example. A 192.0.2.7`)
	r := resolver(srv)
	txt, err := r.TXT(ctx(t), "big.example")
	if err != nil || len(txt) != 2 || len(txt[0])+len(txt[1]) != 600 {
		t.Errorf("big TXT: got %d records, %v", len(txt), err)
	}
	a, err := r.A(ctx(t), "forced.example")
	if err != nil || !slices.Equal(a, addrs("192.0.2.7")) {
		t.Errorf("forced TC: got %v, %v", a, err)
	}
	var tcp int
	for _, q := range srv.Queries() {
		if q.Net == "tcp" {
			tcp++
		}
	}
	if tcp != 2 {
		t.Errorf("want 2 TCP queries, got %v", srv.Queries())
	}
}

func TestSpoofedRepliesAreIgnored(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("mail.example", dnstest.Spoof)
	srv.Fail("example", dnstest.Spoof)
	r := resolver(srv)
	a, err := r.A(ctx(t), "mail.example")
	if err != nil || !slices.Equal(a, addrs("192.0.2.25")) {
		t.Errorf("A: got %v, %v", a, err)
	}
	txt, err := r.TXT(ctx(t), "example")
	if err != nil || slices.Contains(txt, "spoofed") || len(txt) != 2 {
		t.Errorf("TXT: got %q, %v", txt, err)
	}
}

func TestUnchasedCNAMEIsAskedFor(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("www.example", dnstest.CNAMEOnly)
	srv.Fail("alias.example", dnstest.CNAMEOnly)
	a, err := resolver(srv).A(ctx(t), "www.example")
	if err != nil || !slices.Equal(a, addrs("192.0.2.25")) {
		t.Fatalf("got %v, %v", a, err)
	}
	for _, n := range []string{"www.example", "alias.example", "mail.example"} {
		if srv.Asked(n, "A") != 1 {
			t.Errorf("%s asked %d times, want 1: %v", n, srv.Asked(n, "A"), srv.Queries())
		}
	}
}

func TestIPv6Server(t *testing.T) {
	srv, err := dnstest.StartAt(t, "[::1]:0", zone)
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	a, err := resolver(srv).A(ctx(t), "mail.example")
	if err != nil || !slices.Equal(a, addrs("192.0.2.25")) {
		t.Errorf("got %v, %v", a, err)
	}
}

func TestUnreachableServer(t *testing.T) {
	// Port 1 on loopback: nothing listens, the kernel answers with ICMP
	// port unreachable, and the next server is asked.
	good := dnstest.Start(t, zone)
	r := dnsclient.New([]string{"127.0.0.1:1", good.Addr})
	r.Timeouts = []time.Duration{time.Second}
	a, err := r.A(ctx(t), "mail.example")
	if err != nil || !slices.Equal(a, addrs("192.0.2.25")) {
		t.Errorf("got %v, %v", a, err)
	}
	_, err = dnsclient.New([]string{"127.0.0.1:1"}).A(ctx(t), "mail.example")
	if !dnsclient.IsTemporary(err) {
		t.Errorf("no server at all: got %v, want a temporary error", err)
	}
}

// CNAME answers one link of a chain, as qmail's dns_cname asks for each;
// a name that is no alias, or does not exist, is ErrNotFound.
func TestCNAME(t *testing.T) {
	srv := dnstest.Start(t, zone+"Upper.example. CNAME Mail.Example.\n")
	r := resolver(srv)
	for name, want := range map[string]string{
		"www.example":      "alias.example",
		"alias.example":    "mail.example",
		"www.example.":     "alias.example",
		"Upper.example":    "mail.example",
		"loop1.example":    "loop2.example",
		"dangling.example": "nowhere.example",
	} {
		got, err := r.CNAME(ctx(t), name)
		if err != nil || got != want {
			t.Errorf("CNAME(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"mail.example", "nosuch.example"} {
		if got, err := r.CNAME(ctx(t), name); !errors.Is(err, dnsclient.ErrNotFound) {
			t.Errorf("CNAME(%q) = %q, %v; want ErrNotFound", name, got, err)
		}
	}
	srv.Fail("www.example", dnstest.ServFail)
	if _, err := r.CNAME(ctx(t), "www.example"); !dnsclient.IsTemporary(err) {
		t.Errorf("SERVFAIL: %v, want a temporary error", err)
	}
	if n := srv.Asked("alias.example", "CNAME"); n != 1 {
		t.Errorf("alias.example asked for %d times, want 1 (one link per lookup)", n)
	}
}
