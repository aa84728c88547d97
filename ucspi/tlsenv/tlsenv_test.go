package tlsenv

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
)

func TestDN(t *testing.T) {
	n := pkix.Name{Country: []string{"DE"}, Organization: []string{"Example"}, CommonName: "mx.example"}
	if got, want := DN(n), "/C=DE/O=Example/CN=mx.example"; got != want {
		t.Errorf("DN = %q, want %q", got, want)
	}
	n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "pm@example"}}
	if got := DN(n); !strings.HasSuffix(got, "/Email=pm@example") {
		t.Errorf("email attribute: %q", got)
	}
}

func TestNames(t *testing.T) {
	cases := []struct {
		id   uint16
		want string
	}{
		{tls.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"},
		{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256"},
		{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305"},
	}
	for _, c := range cases {
		if got := CipherName(c.id); got != c.want {
			t.Errorf("CipherName(%x) = %q, want %q", c.id, got, c.want)
		}
	}
	if ProtocolName(tls.VersionTLS13) != "TLSv1.3" || ProtocolName(tls.VersionTLS12) != "TLSv1.2" {
		t.Errorf("protocol names")
	}
}

func TestVarsServerSide(t *testing.T) {
	cert := &x509.Certificate{Subject: pkix.Name{CommonName: "client.example"}, Issuer: pkix.Name{CommonName: "ca"}}
	cert.SerialNumber = bigOne()
	st := tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_256_GCM_SHA384, PeerCertificates: []*x509.Certificate{cert}}
	env := strings.Join(Vars(st, ServerSide, nil), "\n") + "\n"
	for _, want := range []string{
		"SSL_PROTOCOL=TLSv1.3\n", "SSL_CIPHER=TLS_AES_256_GCM_SHA384\n", "SSL_CIPHER_USEKEYSIZE=256\n",
		"SSL_CLIENT_S_DN=/CN=client.example\n", "SSL_CLIENT_S_DN_CN=client.example\n",
		"SSL_CLIENT_I_DN=/CN=ca\n", "SSL_CLIENT_VERIFY=FAILED\n",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("missing %q in\n%s", want, env)
		}
	}
	if strings.Contains(env, "SSL_SERVER_S_DN") {
		t.Errorf("server variables without a local certificate")
	}
}

func bigOne() *big.Int { return big.NewInt(1) }
