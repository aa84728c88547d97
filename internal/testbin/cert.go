package testbin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a self-signed ECDSA P-256 certificate for TLS tests, valid from
// an hour ago to an hour from now. It is its own CA, so that a peer may
// trust it by its PEM file, and fit for server and client authentication.
type Cert struct {
	DER []byte
	Key *ecdsa.PrivateKey
	// Chain is what a server sends after DER: the issuer of a certificate
	// a CA made, nothing for a self-signed one.
	Chain [][]byte
}

// NewCert makes a certificate for names (the first is also the common
// name) and ips.
func NewCert(t testing.TB, names []string, ips ...net.IP) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// Distinct serials: clients may refuse two certificates from the
	// same issuer name with the same serial.
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		IPAddresses:           ips,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{DER: der, Key: key}
}

// TLS is the certificate for a tls.Config, with its chain.
func (c *Cert) TLS() tls.Certificate {
	return tls.Certificate{Certificate: append([][]byte{c.DER}, c.Chain...), PrivateKey: c.Key}
}

// Parsed is the certificate as crypto/x509 reads it.
func (c *Cert) Parsed(t testing.TB) *x509.Certificate {
	t.Helper()
	x, err := x509.ParseCertificate(c.DER)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// CA is a test certificate authority: a self-signed CA certificate that
// issues server certificates, as a public CA or a site's own does.
type CA struct{ *Cert }

// NewCA makes a certificate authority called name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	return &CA{Cert: NewCert(t, []string{name})}
}

// Issue makes a server certificate for names and ips signed by the CA,
// valid from an hour ago to an hour from now.
func (ca *CA) Issue(t testing.TB, names []string, ips ...net.IP) *Cert {
	t.Helper()
	return ca.IssueAt(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), names, ips...)
}

// IssueAt is Issue with the validity given, for expired certificates.
func (ca *CA) IssueAt(t testing.TB, from, until time.Time, names []string, ips ...net.IP) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		IPAddresses:  ips,
		NotBefore:    from,
		NotAfter:     until,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Parsed(t), &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{DER: der, Key: key, Chain: [][]byte{ca.DER}}
}

// CertPEM is the certificate in PEM.
func (c *Cert) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER})
}

// KeyPEM is the private key in PEM, as an EC PRIVATE KEY block.
func (c *Cert) KeyPEM(t testing.TB) []byte {
	t.Helper()
	b, err := x509.MarshalECPrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: b})
}

// WriteFiles writes the certificate and the key to dir/cert.pem and
// dir/key.pem and returns their paths.
func (c *Cert) WriteFiles(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, c.CertPEM())
	writeFile(t, keyFile, c.KeyPEM(t))
	return certFile, keyFile
}

// WriteCombined writes the certificate followed by the key to file, the
// way CERTFILE may hold both.
func (c *Cert) WriteCombined(t testing.TB, file string) {
	t.Helper()
	writeFile(t, file, append(c.CertPEM(), c.KeyPEM(t)...))
}

func writeFile(t testing.TB, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
