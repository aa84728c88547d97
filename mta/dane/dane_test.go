package dane

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/tlsrpt"
)

func record(usage, selector, mtype uint8, data []byte) Record {
	return Record{Usage: usage, Selector: selector, MatchingType: mtype, Data: data}
}

func sum256(b []byte) []byte { d := sha256.Sum256(b); return d[:] }
func sum512(b []byte) []byte { d := sha512.Sum512(b); return d[:] }

func TestUsable(t *testing.T) {
	d32, d64 := make([]byte, 32), make([]byte, 64)
	cases := []struct {
		why  string
		r    Record
		want bool
	}{
		{"DANE-EE SPKI SHA2-256", record(3, 1, 1, d32), true},
		{"DANE-TA Cert SHA2-512", record(2, 0, 2, d64), true},
		{"DANE-EE full certificate", record(3, 0, 0, []byte{1, 2, 3}), true},
		{"PKIX-TA is not for SMTP (RFC 7672 3.1.3)", record(0, 0, 1, d32), false},
		{"PKIX-EE is not for SMTP", record(1, 1, 1, d32), false},
		{"unknown usage", record(4, 1, 1, d32), false},
		{"unknown selector", record(3, 2, 1, d32), false},
		{"unknown matching type", record(3, 1, 3, d32), false},
		{"SHA2-256 of the wrong length", record(3, 1, 1, d64), false},
		{"SHA2-512 of the wrong length", record(3, 1, 2, d32), false},
		{"full data empty", record(3, 1, 0, nil), false},
	}
	for _, c := range cases {
		if got := c.r.Usable(); got != c.want {
			t.Errorf("%s: Usable %v", c.why, got)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want string // String() of the record, "" for an error
	}{
		{"3 1 1 0123ABcd", "3 1 1 0123abcd"},
		{"  2 0 2  01 23\t45 ", "2 0 2 012345"},
		{"255 255 255 00", "255 255 255 00"},
		{"256 1 1 00", ""},
		{"3 1 1", ""},
		{"3 1 1 0", ""},   // odd hex
		{"3 1 1 xx", ""},  // not hex
		{"+3 1 1 00", ""}, // ParseUint would take the sign
		{"-1 1 1 00", ""},
		{"3 1 1 \\# 00", ""},
		{"", ""},
	}
	for _, c := range cases {
		r, err := Parse(c.in)
		got := ""
		if err == nil {
			got = r.String()
		} else if !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: error %v is not ErrSyntax", c.in, err)
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Verify against records of each usage, selector and matching type, and
// the failures TLS-RPT tells apart.
func TestVerify(t *testing.T) {
	ca := testbin.NewCA(t, "Test CA")
	other := testbin.NewCA(t, "Other CA")
	now := time.Now()
	leaf := ca.Issue(t, []string{"mx.example.test"})
	wild := ca.Issue(t, []string{"*.example.test"})
	wrongName := ca.Issue(t, []string{"mx.elsewhere.test"})
	expired := ca.IssueAt(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), []string{"mx.example.test"})
	foreign := other.Issue(t, []string{"mx.example.test"})
	self := testbin.NewCert(t, []string{"anything.test"})
	lp, cp := leaf.Parsed(t), ca.Parsed(t)
	names := []string{"mx.example.test"}
	chain := func(c *testbin.Cert) [][]byte { return append([][]byte{c.DER}, c.Chain...) }
	eeSPKI := record(3, 1, 1, sum256(lp.RawSubjectPublicKeyInfo))
	taCert := record(2, 0, 1, sum256(cp.Raw))
	cases := []struct {
		why     string
		chain   [][]byte
		records []Record
		result  string // "" for a pass
	}{
		{"DANE-EE SPKI SHA2-256", chain(leaf), []Record{eeSPKI}, ""},
		{"DANE-EE Cert SHA2-256", chain(leaf), []Record{record(3, 0, 1, sum256(lp.Raw))}, ""},
		{"DANE-EE SPKI SHA2-512", chain(leaf), []Record{record(3, 1, 2, sum512(lp.RawSubjectPublicKeyInfo))}, ""},
		{"DANE-EE full certificate", chain(leaf), []Record{record(3, 0, 0, lp.Raw)}, ""},
		{"DANE-EE ignores the names: a self-signed certificate for another name", [][]byte{self.DER},
			[]Record{record(3, 1, 1, sum256(self.Parsed(t).RawSubjectPublicKeyInfo))}, ""},
		{"DANE-EE ignores the dates", chain(expired), []Record{record(3, 1, 1, sum256(expired.Parsed(t).RawSubjectPublicKeyInfo))}, ""},
		{"DANE-EE of another key", chain(wrongName), []Record{eeSPKI}, tlsrpt.ValidationFailure},
		{"DANE-TA Cert SHA2-256 of the issuer", chain(leaf), []Record{taCert}, ""},
		{"DANE-TA SPKI SHA2-512 of the issuer", chain(leaf), []Record{record(2, 1, 2, sum512(cp.RawSubjectPublicKeyInfo))}, ""},
		{"DANE-TA with a wildcard certificate", chain(wild), []Record{taCert}, ""},
		{"DANE-TA, the certificate names another host", chain(wrongName), []Record{taCert}, tlsrpt.CertificateMismatch},
		{"DANE-TA, the certificate has expired", chain(expired), []Record{taCert}, tlsrpt.CertificateExpired},
		{"DANE-TA, the anchor is not in the chain sent", [][]byte{leaf.DER}, []Record{taCert}, tlsrpt.ValidationFailure},
		{"DANE-TA, the anchor sent did not issue the certificate", [][]byte{foreign.DER, ca.DER}, []Record{taCert}, tlsrpt.CertificateNotTrusted},
		{"a later record matches", chain(leaf), []Record{record(3, 1, 1, make([]byte, 32)), eeSPKI}, ""},
		{"a matching PKIX-EE record does not count", chain(leaf), []Record{record(1, 1, 1, sum256(lp.RawSubjectPublicKeyInfo))}, tlsrpt.TLSAInvalid},
		{"no certificate", nil, []Record{eeSPKI}, tlsrpt.ValidationFailure},
		{"garbage for a certificate", [][]byte{[]byte("not DER")}, []Record{eeSPKI}, tlsrpt.ValidationFailure},
	}
	for _, c := range cases {
		err := Verify(c.chain, c.records, names, now)
		got := ""
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Errorf("%s: error %v is not an *Error", c.why, err)
				continue
			}
			got = de.Result
		}
		if got != c.result {
			t.Errorf("%s: result %q (%v), want %q", c.why, got, err, c.result)
		}
	}
}

func TestString(t *testing.T) {
	r := record(3, 1, 1, []byte{0xde, 0xad})
	if r.String() != "3 1 1 dead" {
		t.Fatal(r.String())
	}
	back, err := Parse(r.String())
	if err != nil || hex.EncodeToString(back.Data) != "dead" {
		t.Fatal(back, err)
	}
}
