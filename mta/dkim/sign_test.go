package dkim

import (
	"context"
	"crypto"
	"strings"
	"testing"
)

// A message signed here verifies here, for both key types and all four
// canonicalization pairs, with LF and CR LF line ends alike.
func TestSignVerifyRoundTrip(t *testing.T) {
	rk, ek := testKeys(t)
	dns := mapDNS{
		"rsa._domainkey.example.org": {record(t, rk)},
		"ed._domainkey.example.org":  {record(t, ek)},
	}
	msg := "From: A <a@example.org>\nTo: b@example.net\nSubject: hi\n  folded  there \nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody  line \n\n\n"
	for _, k := range []struct {
		sel string
		key crypto.Signer
	}{{"rsa", rk}, {"ed", ek}} {
		for _, hc := range []Canon{Simple, Relaxed} {
			for _, bc := range []Canon{Simple, Relaxed} {
				for _, eol := range []string{"\n", "\r\n"} {
					m := []byte(strings.ReplaceAll(msg, "\n", eol))
					s := &Signer{Domain: "example.org", Selector: k.sel, Key: k.key, HeaderCanon: hc, BodyCanon: bc}
					h, err := s.Sign(m)
					if err != nil {
						t.Fatal(err)
					}
					signed := append(h, m...)
					vs := Verify(context.Background(), dns, signed)
					if len(vs) != 1 || vs[0].Result != Pass {
						t.Errorf("%s %s/%s %q: %+v\n%s", k.sel, hc, bc, eol, vs, signed)
					}
					// A changed body fails.
					bad := append(append([]byte{}, signed...), "more\n"...)
					if vs := Verify(context.Background(), dns, bad); vs[0].Result != Fail {
						t.Errorf("changed body: %+v", vs)
					}
				}
			}
		}
	}
}
