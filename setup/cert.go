package setup

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Certificate files in the control directory: the certificate is public,
// the key readable only by its owner (root, since sslserver reads both
// before it gives up its privileges).
const (
	CertFile = "control/servercert.pem"
	KeyFile  = "control/serverkey.pem"
)

// certificate makes a self-signed ECDSA P-256 certificate for the host
// name when none is configured, so that STARTTLS, SMTPS and POP3S work
// from the start; an administrator replaces both files with real ones.
func (in *installer) certificate(o owners) error {
	certPath, keyPath := in.cfg.homePath(CertFile), in.cfg.homePath(KeyFile)
	if exists(certPath) || exists(keyPath) {
		in.kept(certPath)
		return nil
	}
	certPEM, keyPEM, err := selfSigned(in.cfg.Host, time.Now())
	if err != nil {
		return fmt.Errorf("unable to make a certificate: %w", err)
	}
	if err := in.file(keyPath, string(keyPEM), 0o600, o.admin); err != nil {
		return err
	}
	return in.file(certPath, string(certPEM), 0o644, o.root)
}

// selfSigned returns a certificate and key in PEM for host, localhost,
// 127.0.0.1 and ::1, valid for ten years from now: a client that trusts
// the certificate file itself (swaks --tls-ca-path, openssl s_client
// -CAfile, Python's ssl cafile) verifies it whether it connects by name
// or to the loopback address, as make run's clients do.
func selfSigned(host string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	names := []string{host}
	if host != "localhost" {
		names = append(names, "localhost")
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"quail self-signed"}},
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// checkCertificate says what is wrong with a certificate and key pair.
func checkCertificate(certPEM, keyPEM []byte, now time.Time) error {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return err
	}
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("expired on %s", leaf.NotAfter.UTC().Format("2006-01-02"))
	}
	if now.Before(leaf.NotBefore) {
		return fmt.Errorf("not valid before %s", leaf.NotBefore.UTC().Format("2006-01-02"))
	}
	return nil
}
