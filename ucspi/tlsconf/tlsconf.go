// Package tlsconf builds the TLS configuration of sslserver and sslclient
// from the environment variables ucspi-ssl reads (see sslserver(1)):
//
//	CERTFILE       the certificate (PEM); may hold the key too
//	KEYFILE        the key; unset or empty: the key is in the certificate file
//	CERTCHAINFILE  certificate followed by its chain; wins over CERTFILE
//	CAFILE, CADIR  trusted CAs for verifying the peer's certificate
//	CCAFILE        "-" stops the server from asking for client certificates
//	               (even with -z or -m); sslserver also honours it, and
//	               CCAVERIFY, per connection
//	CIPHERS        TLS 1.2 cipher suites, ':'-separated (OpenSSL or IANA names)
//	VERIFYDEPTH    longest accepted peer chain below the root (default 1)
//	DHFILE         accepted and ignored: Go negotiates ECDHE only
//
// and, beyond ucspi-ssl, CERTDIR: a directory of PEM files, each holding a
// certificate (with its chain) and its key, chosen by the server name the
// client asks for (SNI), so one server can present each hosted domain's own
// certificate. Only TLS 1.2 and 1.3 are offered.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/ucspi/tlsenv"
)

// ClientAuth says what a server asks of its clients' certificates.
type ClientAuth int

const (
	// ClientCertOptional asks for a certificate when CAs are configured
	// and verifies one if given, as sslserver does by default.
	ClientCertOptional ClientAuth = iota
	// ClientCertRequired (-m) requires a verified certificate.
	ClientCertRequired
	// ClientCertRequiredName (-z) also requires the certificate to name
	// the client's host (checked by the caller, who knows the host).
	ClientCertRequiredName
)

// Server returns the configuration for sslserver. Every file is read now,
// so a missing or bad one is a fatal error at start, not per connection.
//
// password, when not nil, decrypts encrypted keys (-3).
func Server(lookup func(string) (string, bool), auth ClientAuth, password []byte) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	def, err := defaultCertificate(lookup, password)
	if err != nil {
		return nil, err
	}
	var byName map[string]*tls.Certificate
	if dir, ok := lookup("CERTDIR"); ok && dir != "" {
		byName, err = loadDir(dir, password)
		if err != nil {
			return nil, err
		}
	}
	if def == nil && len(byName) == 0 {
		return nil, errors.New("no certificate: set CERTFILE, CERTCHAINFILE or CERTDIR")
	}
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if c := pick(byName, hello.ServerName); c != nil {
			return c, nil
		}
		if def != nil {
			return def, nil
		}
		return anyCert(byName), nil
	}
	if err := applyCiphers(cfg, lookup); err != nil {
		return nil, err
	}
	pool, err := caPool(lookup)
	if err != nil {
		return nil, err
	}
	depth, err := verifyDepth(lookup)
	if err != nil {
		return nil, err
	}
	ask := pool != nil
	if v, ok := lookup("CCAFILE"); ok && v == "-" {
		// "-" asks for no client certificate, and wins over -z and -m as
		// in sslserver.c.
		ask, auth = false, ClientCertOptional
	}
	switch {
	case auth != ClientCertOptional:
		if pool == nil {
			return nil, errors.New("client certificates are required but no CAFILE or CADIR is set")
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case ask:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	cfg.ClientCAs = pool
	cfg.VerifyPeerCertificate = depthCheck(depth)
	return cfg, nil
}

// ClientConfig is sslclient's side of TLS. The handshake itself does not
// verify the server: VerifyServer does it afterwards, so that each way of
// failing gets ucspi-ssl's own message and -X can skip it.
type ClientConfig struct {
	TLS   *tls.Config
	Roots *x509.CertPool // CAFILE and CADIR; nil means the system's CAs
	Depth int            // VERIFYDEPTH
}

// Client returns the configuration for sslclient. sni, when not empty,
// is sent as the server name (-m); password, when not nil, decrypts an
// encrypted key (-3).
func Client(lookup func(string) (string, bool), sni string, password []byte) (*ClientConfig, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: sni, InsecureSkipVerify: true}
	cert, err := defaultCertificate(lookup, password)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	if err := applyCiphers(cfg, lookup); err != nil {
		return nil, err
	}
	pool, err := caPool(lookup)
	if err != nil {
		return nil, err
	}
	depth, err := verifyDepth(lookup)
	if err != nil {
		return nil, err
	}
	return &ClientConfig{TLS: cfg, Roots: pool, Depth: depth}, nil
}

// VerifyError is a server certificate sslclient refuses; Error is the
// message ucspi-ssl's sslclient prints for its kind.
type VerifyError struct {
	Kind VerifyKind
	Name string // the name asked for, for NameMismatch
	Err  error  // the cause, for Unverified
}

// VerifyKind is the way a server certificate failed.
type VerifyKind int

const (
	NoCertificate VerifyKind = iota // the server sent none
	Unverified                      // no chain to a trusted CA within VERIFYDEPTH
	NameMismatch                    // it does not name the host
)

func (e *VerifyError) Error() string {
	switch e.Kind {
	case NoCertificate:
		return "no server certificate"
	case Unverified:
		return "missing credentials (CA) or unable to validate server certificate: " + e.Err.Error()
	}
	return "server hostname does not match certificate: " + e.Name
}

func (e *VerifyError) Unwrap() error { return e.Err }

// VerifyServer checks the certificate the server presented: a chain to
// Roots (or the system's CAs) no longer than Depth allows and, unless
// name is empty (-N), that it names name (a host name or an address).
func (c *ClientConfig) VerifyServer(st tls.ConnectionState, name string) error {
	if len(st.PeerCertificates) == 0 {
		return &VerifyError{Kind: NoCertificate}
	}
	inter := x509.NewCertPool()
	for _, ic := range st.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	chains, err := st.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: c.Roots, Intermediates: inter})
	if err == nil {
		err = depthCheck(c.Depth)(nil, chains)
	}
	if err != nil {
		return &VerifyError{Kind: Unverified, Err: err}
	}
	if name != "" && st.PeerCertificates[0].VerifyHostname(name) != nil {
		return &VerifyError{Kind: NameMismatch, Name: name}
	}
	return nil
}

func defaultCertificate(lookup func(string) (string, bool), password []byte) (*tls.Certificate, error) {
	certFile, _ := lookup("CERTFILE")
	if chain, ok := lookup("CERTCHAINFILE"); ok && chain != "" {
		certFile = chain
	}
	if certFile == "" {
		return nil, nil
	}
	keyFile, _ := lookup("KEYFILE")
	if keyFile == "" {
		keyFile = certFile
	}
	c, err := loadKeyPair(certFile, keyFile, password)
	if err != nil {
		return nil, fmt.Errorf("unable to load certificate %s: %w", certFile, err)
	}
	return &c, nil
}

// loadDir indexes every *.pem file of dir by the DNS names its certificate
// covers (SANs, or the CN when it has none).
func loadDir(dir string, password []byte) (map[string]*tls.Certificate, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("unable to read CERTDIR: %w", err)
	}
	sort.Strings(names)
	out := map[string]*tls.Certificate{}
	for _, file := range names {
		c, err := loadKeyPair(file, file, password)
		if err != nil {
			return nil, fmt.Errorf("unable to load certificate %s: %w", file, err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("unable to parse certificate %s: %w", file, err)
		}
		c.Leaf = leaf
		hosts := leaf.DNSNames
		if len(hosts) == 0 && leaf.Subject.CommonName != "" {
			hosts = []string{leaf.Subject.CommonName}
		}
		for _, h := range hosts {
			h = strings.ToLower(h)
			if _, dup := out[h]; !dup {
				cc := c
				out[h] = &cc
			}
		}
	}
	return out, nil
}

// pick chooses the certificate for an SNI name: the exact name, then a
// wildcard one label up.
func pick(byName map[string]*tls.Certificate, name string) *tls.Certificate {
	if len(byName) == 0 || name == "" {
		return nil
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if c, ok := byName[name]; ok {
		return c
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if c, ok := byName["*"+name[i:]]; ok {
			return c
		}
	}
	return nil
}

func anyCert(byName map[string]*tls.Certificate) *tls.Certificate {
	keys := make([]string, 0, len(byName))
	for k := range byName {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return byName[keys[0]]
}

func caPool(lookup func(string) (string, bool)) (*x509.CertPool, error) {
	var pool *x509.CertPool
	add := func(file string) error {
		pem, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("unable to read CA file %s: %w", file, err)
		}
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("no certificates in CA file %s", file)
		}
		return nil
	}
	if f, ok := lookup("CAFILE"); ok && f != "" {
		if err := add(f); err != nil {
			return nil, err
		}
	}
	if d, ok := lookup("CADIR"); ok && d != "" {
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, fmt.Errorf("unable to read CADIR %s: %w", d, err)
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			// Hash links (abcd1234.0) and plain PEM files alike.
			_ = add(filepath.Join(d, e.Name()))
		}
	}
	return pool, nil
}

func verifyDepth(lookup func(string) (string, bool)) (int, error) {
	v, ok := lookup("VERIFYDEPTH")
	if !ok || v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad VERIFYDEPTH %q", v)
	}
	return n, nil
}

// depthCheck refuses verified chains with more than depth intermediate
// certificates between the peer's and the root, as OpenSSL's verify depth
// does.
func depthCheck(depth int) func([][]byte, [][]*x509.Certificate) error {
	return func(_ [][]byte, chains [][]*x509.Certificate) error {
		if len(chains) == 0 {
			return nil
		}
		for _, ch := range chains {
			if len(ch)-2 <= depth {
				return nil
			}
		}
		return fmt.Errorf("certificate chain longer than VERIFYDEPTH %d", depth)
	}
}

// applyCiphers restricts TLS 1.2 suites to CIPHERS. TLS 1.3 suites are
// fixed by Go and always on. Names that are not suites (OpenSSL keywords
// such as HIGH or !aNULL) are skipped; a list with no suite at all leaves
// Go's defaults, so an OpenSSL-style string never disables TLS.
func applyCiphers(cfg *tls.Config, lookup func(string) (string, bool)) error {
	v, ok := lookup("CIPHERS")
	if !ok || v == "" {
		return nil
	}
	byName := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		byName[s.Name] = s.ID
		byName[tlsenv.CipherName(s.ID)] = s.ID
	}
	var ids []uint16
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := byName[tok]; ok {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		cfg.CipherSuites = ids
	}
	return nil
}
