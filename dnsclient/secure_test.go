package dnsclient_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
)

const secureZone = `
signed.example.            MX    10 mx.signed.example.
mx.signed.example.         A     192.0.2.1
mx.signed.example.         AAAA  2001:db8::1
_25._tcp.mx.signed.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_25._tcp.mx.signed.example. TLSA 2 0 2 00ff
half.signed.example.       A     192.0.2.2
half.signed.example.       AAAA  2001:db8::2
out.signed.example.        CNAME mx.unsigned.example.
mx.unsigned.example.       A     192.0.2.3
unsigned.example.          MX    10 mx.unsigned.example.
`

// The AD bit of the cache's replies, asked for and reported.
func TestAuthenticatedLookups(t *testing.T) {
	srv := dnstest.Start(t, secureZone)
	srv.SetAD("signed.example", true)
	srv.SetAD("aaaa-unsigned.signed.example", false)
	srv.Add(t, "aaaa-unsigned.signed.example. A 192.0.2.9\n")
	r := resolver(srv)
	cases := []struct {
		why  string
		run  func() (bool, error)
		want bool
	}{
		{"MX of a signed zone", func() (bool, error) { _, ad, err := r.MXAD(ctx(t), "signed.example"); return ad, err }, true},
		{"MX of an unsigned zone", func() (bool, error) { _, ad, err := r.MXAD(ctx(t), "unsigned.example"); return ad, err }, false},
		{"addresses, both types signed", func() (bool, error) { _, ad, err := r.IPAD(ctx(t), "mx.signed.example"); return ad, err }, true},
		{"addresses of a name cut out of the signed zone", func() (bool, error) {
			_, ad, err := r.IPAD(ctx(t), "aaaa-unsigned.signed.example")
			return ad, err
		}, false},
		{"a CNAME into an unsigned zone is not authenticated", func() (bool, error) {
			_, ad, err := r.IPAD(ctx(t), "out.signed.example")
			return ad, err
		}, false},
		{"TLSA records of a signed name", func() (bool, error) {
			_, ad, err := r.TLSA(ctx(t), "_25._tcp.mx.signed.example")
			return ad, err
		}, true},
	}
	for _, c := range cases {
		got, err := c.run()
		if err != nil || got != c.want {
			t.Errorf("%s: AD %v, error %v; want AD %v", c.why, got, err, c.want)
		}
	}
}

func TestTLSARecords(t *testing.T) {
	srv := dnstest.Start(t, secureZone)
	srv.SetAD("signed.example", true)
	r := resolver(srv)
	recs, ad, err := r.TLSA(ctx(t), "_25._tcp.mx.signed.example")
	if err != nil || !ad || len(recs) != 2 {
		t.Fatalf("TLSA: %v, AD %v, %v", recs, ad, err)
	}
	r0, r1 := recs[0], recs[1]
	if r0.Usage != 3 || r0.Selector != 1 || r0.MatchingType != 1 || hex.EncodeToString(r0.Data) != "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" {
		t.Errorf("first record %+v", r0)
	}
	if r1.Usage != 2 || r1.Selector != 0 || r1.MatchingType != 2 || hex.EncodeToString(r1.Data) != "00ff" {
		t.Errorf("second record %+v", r1)
	}
	// An authenticated denial is still ErrNotFound; the boolean says it
	// was authenticated.
	_, ad, err = r.TLSA(ctx(t), "_25._tcp.half.signed.example")
	if !errors.Is(err, dnsclient.ErrNotFound) || !ad {
		t.Errorf("no TLSA: AD %v, %v", ad, err)
	}
	// The plain lookups neither ask for nor need the bit.
	if mx, err := r.MX(ctx(t), "signed.example"); err != nil || len(mx) != 1 {
		t.Errorf("MX: %v, %v", mx, err)
	}
	// A temporary failure is temporary here too.
	srv.Fail("_25._tcp.mx.signed.example", dnstest.ServFail)
	if _, _, err := r.TLSA(ctx(t), "_25._tcp.mx.signed.example"); !dnsclient.IsTemporary(err) {
		t.Errorf("SERVFAIL: %v", err)
	}
}
