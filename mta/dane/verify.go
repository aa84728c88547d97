package dane

import (
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/tlsrpt"
)

// Verify checks the certificate chain a server sent (DER, its own
// certificate first) against records, of which only the usable ones
// count; names are the reference identifiers a DANE-TA(2) match requires
// of the server's certificate (RFC 7672 section 3.2.3). The chain passes
// when one record matches as its usage says. A failure is an *Error.
func Verify(chain [][]byte, records []Record, names []string, now time.Time) error {
	usable := Usable(records)
	if len(usable) == 0 {
		return fail(tlsrpt.TLSAInvalid, "no usable TLSA record")
	}
	if len(chain) == 0 {
		return fail(tlsrpt.ValidationFailure, "the server sent no certificate")
	}
	certs := make([]*x509.Certificate, 0, len(chain))
	for _, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return fail(tlsrpt.ValidationFailure, "the server sent a certificate that cannot be parsed: %v", err)
		}
		certs = append(certs, c)
	}
	leaf := certs[0]
	var taErr error
	for _, r := range usable {
		switch r.Usage {
		case UsageDANEEE:
			// Section 3.1.1: names and dates do not matter.
			if r.matches(leaf.Raw, leaf.RawSubjectPublicKeyInfo) {
				return nil
			}
		case UsageDANETA:
			for _, ta := range certs {
				if !r.matches(ta.Raw, ta.RawSubjectPublicKeyInfo) {
					continue
				}
				err := issuedBy(leaf, ta, certs[1:], names, now)
				if err == nil {
					return nil
				}
				taErr = err
			}
		}
	}
	if taErr != nil {
		return taErr
	}
	return fail(tlsrpt.ValidationFailure, "no TLSA record matches the certificate chain")
}

// issuedBy checks that leaf chains to the trust anchor ta through the
// certificates the server sent, is valid at now and names one of names.
func issuedBy(leaf, ta *x509.Certificate, inter []*x509.Certificate, names []string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(ta)
	pool := x509.NewCertPool()
	for _, c := range inter {
		pool.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: pool,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return fail(tlsrpt.CertificateExpired, "the certificate chain is out of its validity: %v", err)
		}
		return fail(tlsrpt.CertificateNotTrusted, "the certificate does not chain to the DANE-TA trust anchor: %v", err)
	}
	for _, n := range names {
		if n != "" && leaf.VerifyHostname(n) == nil {
			return nil
		}
	}
	return fail(tlsrpt.CertificateMismatch, "the certificate does not name %s", strings.Join(names, " or "))
}
