// Package tlsenv describes a TLS session in the SSL_* environment
// variables that sslserver -s and the UCSPI-TLS 'Y' reply hand to a
// program, with the names and value formats ucspi-ssl documents in
// sslserver(1) (which follow mod_ssl's): SSL_PROTOCOL, SSL_CIPHER,
// SSL_SESSION_ID, SSL_CIPHER_USEKEYSIZE, SSL_CIPHER_ALGKEYSIZE,
// SSL_VERSION_INTERFACE, SSL_VERSION_LIBRARY, SSL_CLIENT_VERIFY and, for
// each side's certificate, SSL_{SERVER,CLIENT}_{M_VERSION, M_SERIAL, S_DN,
// S_DN_x, I_DN, I_DN_x, V_START, V_END, A_SIG, A_KEY, CERT}.
package tlsenv

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/quail-mta/quail/internal/version"
)

// Side says whose view the variables take.
type Side int

const (
	ServerSide Side = iota // sslserver: the peer is the client
	ClientSide             // sslclient: the peer is the server
)

// Vars returns the SSL_* variables for a completed handshake. local is the
// certificate this side presented (may be nil).
func Vars(st tls.ConnectionState, side Side, local *x509.Certificate) []string {
	var env []string
	add := func(k, v string) { env = append(env, k+"="+v) }
	add("SSL_PROTOCOL", ProtocolName(st.Version))
	add("SSL_CIPHER", CipherName(st.CipherSuite))
	bits := cipherBits(st.CipherSuite)
	add("SSL_CIPHER_USEKEYSIZE", fmt.Sprint(bits))
	add("SSL_CIPHER_ALGKEYSIZE", fmt.Sprint(bits))
	add("SSL_CIPHER_EXPORT", "false")
	add("SSL_SESSION_ID", "") // Go does not expose the session id
	add("SSL_VERSION_INTERFACE", "quail/"+version.Version)
	add("SSL_VERSION_LIBRARY", "Go crypto/tls")
	if st.ServerName != "" {
		add("SSL_TLS_SNI", st.ServerName)
	}
	var peer *x509.Certificate
	if len(st.PeerCertificates) > 0 {
		peer = st.PeerCertificates[0]
	}
	client, server := peer, local
	if side == ClientSide {
		client, server = local, peer
	}
	if side == ServerSide {
		switch {
		case peer == nil:
			add("SSL_CLIENT_VERIFY", "NONE")
		case len(st.VerifiedChains) > 0:
			add("SSL_CLIENT_VERIFY", "SUCCESS")
		default:
			add("SSL_CLIENT_VERIFY", "FAILED")
		}
	}
	if client != nil {
		env = append(env, certVars("SSL_CLIENT_", client)...)
		if side == ServerSide {
			for i, c := range st.PeerCertificates[1:] {
				add(fmt.Sprintf("SSL_CLIENT_CERT_CHAIN_%d", i), pemOf(c))
			}
		}
	}
	if server != nil {
		env = append(env, certVars("SSL_SERVER_", server)...)
	}
	return env
}

func certVars(prefix string, c *x509.Certificate) []string {
	var env []string
	add := func(k, v string) { env = append(env, prefix+k+"="+v) }
	add("M_VERSION", fmt.Sprint(c.Version))
	add("M_SERIAL", strings.ToUpper(c.SerialNumber.Text(16)))
	add("S_DN", DN(c.Subject))
	env = append(env, dnParts(prefix+"S_DN_", c.Subject)...)
	add("I_DN", DN(c.Issuer))
	env = append(env, dnParts(prefix+"I_DN_", c.Issuer)...)
	add("V_START", asn1Time(c.NotBefore.UTC().Format("Jan _2 15:04:05 2006")))
	add("V_END", asn1Time(c.NotAfter.UTC().Format("Jan _2 15:04:05 2006")))
	add("A_SIG", c.SignatureAlgorithm.String())
	add("A_KEY", c.PublicKeyAlgorithm.String())
	add("CERT", pemOf(c))
	return env
}

func asn1Time(s string) string { return s + " GMT" }

func pemOf(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// short names of the attributes mod_ssl exports as _DN_x.
var attrNames = map[string]string{
	"2.5.4.6":                    "C",
	"2.5.4.8":                    "ST",
	"2.5.4.7":                    "L",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.3":                    "CN",
	"2.5.4.12":                   "T",
	"2.5.4.43":                   "I",
	"2.5.4.42":                   "G",
	"2.5.4.4":                    "S",
	"2.5.4.13":                   "D",
	"0.9.2342.19200300.100.1.1":  "UID",
	"1.2.840.113549.1.9.1":       "Email",
	"0.9.2342.19200300.100.1.25": "DC",
}

func attrName(oid asn1.ObjectIdentifier) string {
	if n, ok := attrNames[oid.String()]; ok {
		return n
	}
	return oid.String()
}

// DN renders a name as OpenSSL's one-line form, "/C=DE/O=Example/CN=host",
// which is what ucspi-ssl exports.
func DN(n pkix.Name) string {
	var b strings.Builder
	for _, rdn := range n.ToRDNSequence() {
		for _, atv := range rdn {
			b.WriteByte('/')
			b.WriteString(attrName(atv.Type))
			b.WriteByte('=')
			b.WriteString(fmt.Sprint(atv.Value))
		}
	}
	return b.String()
}

func dnParts(prefix string, n pkix.Name) []string {
	var env []string
	seen := map[string]bool{}
	for _, rdn := range n.ToRDNSequence() {
		for _, atv := range rdn {
			name, ok := attrNames[atv.Type.String()]
			if !ok || seen[name] {
				continue // first value of each attribute, as mod_ssl does
			}
			seen[name] = true
			env = append(env, prefix+name+"="+fmt.Sprint(atv.Value))
		}
	}
	return env
}

// ProtocolName spells a TLS version as OpenSSL does ("TLSv1.3").
func ProtocolName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// CipherName spells a suite as OpenSSL does: TLS 1.3 suites keep their
// IANA names, TLS 1.2 suites use OpenSSL's (ECDHE-RSA-AES128-GCM-SHA256).
func CipherName(id uint16) string {
	name := tls.CipherSuiteName(id)
	switch id {
	case tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256:
		return name
	}
	s := strings.TrimPrefix(name, "TLS_")
	s = strings.Replace(s, "_WITH_", "_", 1)
	s = strings.ReplaceAll(s, "AES_128", "AES128")
	s = strings.ReplaceAll(s, "AES_256", "AES256")
	s = strings.ReplaceAll(s, "CHACHA20_POLY1305_SHA256", "CHACHA20_POLY1305")
	return strings.ReplaceAll(s, "_", "-")
}

func cipherBits(id uint16) int {
	name := tls.CipherSuiteName(id)
	switch {
	case strings.Contains(name, "AES_128"):
		return 128
	case strings.Contains(name, "AES_256"), strings.Contains(name, "CHACHA20"):
		return 256
	case strings.Contains(name, "3DES"):
		return 168
	}
	return 0
}
