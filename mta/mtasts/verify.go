package mtasts

import (
	"crypto/x509"
	"errors"
	"time"

	"github.com/quail-mta/quail/mta/tlsrpt"
)

// CertError is an MX host's certificate that fails a policy, with its
// TLS-RPT result type.
type CertError struct {
	Result string
	Err    error
}

func (e *CertError) Error() string { return e.Err.Error() }
func (e *CertError) Unwrap() error { return e.Err }

// VerifyMX checks the chain an MX host sent (DER, its own certificate
// first) as RFC 8461 section 4.2 asks: valid at now, chaining to roots
// (nil: the system's), naming host (the MX record's name, wildcards as
// RFC 6125 allows them). A failure is a *CertError.
func VerifyMX(chain [][]byte, host string, roots *x509.CertPool, now time.Time) error {
	if len(chain) == 0 {
		return &CertError{tlsrpt.ValidationFailure, errors.New("no certificate")}
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return &CertError{tlsrpt.ValidationFailure, err}
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return &CertError{tlsrpt.CertificateExpired, err}
		}
		return &CertError{tlsrpt.CertificateNotTrusted, err}
	}
	if err := certs[0].VerifyHostname(host); err != nil {
		return &CertError{tlsrpt.CertificateMismatch, err}
	}
	return nil
}
