package setup

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

// make run's clients connect to 127.0.0.1 or to localhost and trust the
// certificate file itself: the certificate names both, and ::1.
func TestSelfSignedNamesTheLoopback(t *testing.T) {
	certPEM, _, err := selfSigned("mail.example", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, name := range []string{"mail.example", "localhost", "127.0.0.1", "::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := cert.VerifyHostname("127.0.0.2"); err == nil {
		t.Errorf("the certificate names 127.0.0.2 too")
	}
}
