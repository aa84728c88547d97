package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// writeCert makes a self-signed certificate for names and writes it with
// its key to file (both PEM blocks in one file).
func writeCert(t *testing.T, file string, names ...string) {
	t.Helper()
	testbin.NewCert(t, names).WriteCombined(t, file)
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func served(t *testing.T, cfg *tls.Config, sni string) string {
	t.Helper()
	c, err := cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: sni})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestSNIChoosesTheDomainsCertificate(t *testing.T) {
	d := t.TempDir()
	writeCert(t, filepath.Join(d, "default.pem"), "mail.example.net")
	certs := filepath.Join(d, "certs")
	os.Mkdir(certs, 0700)
	writeCert(t, filepath.Join(certs, "a.pem"), "mx.a.example")
	writeCert(t, filepath.Join(certs, "b.pem"), "*.b.example")
	cfg, err := Server(env(map[string]string{"CERTFILE": filepath.Join(d, "default.pem"), "CERTDIR": certs}), ClientCertOptional, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ why, sni, want string }{
		{"exact name", "mx.a.example", "mx.a.example"},
		{"names are case-insensitive", "MX.A.Example.", "mx.a.example"},
		{"wildcard covers one label", "smtp.b.example", "*.b.example"},
		{"wildcard does not cover two labels", "x.smtp.b.example", "mail.example.net"},
		{"unknown name falls back to CERTFILE", "other.example", "mail.example.net"},
		{"no SNI at all falls back to CERTFILE", "", "mail.example.net"},
	}
	for _, c := range cases {
		if got := served(t, cfg, c.sni); got != c.want {
			t.Errorf("%s: SNI %q served %q, want %q", c.why, c.sni, got, c.want)
		}
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLS below 1.2 allowed")
	}
}

func TestStartErrors(t *testing.T) {
	d := t.TempDir()
	cases := []struct {
		why  string
		env  map[string]string
		want string
	}{
		{"no certificate at all", map[string]string{}, "no certificate"},
		{"missing certificate file", map[string]string{"CERTFILE": filepath.Join(d, "none.pem")}, "unable to load certificate"},
		{"missing CERTDIR", map[string]string{"CERTDIR": filepath.Join(d, "nodir")}, "CERTDIR"},
		{"bad verify depth", map[string]string{"CERTFILE": filepath.Join(d, "ok.pem"), "VERIFYDEPTH": "x"}, "VERIFYDEPTH"},
		{"required client certs without CAs", map[string]string{"CERTFILE": filepath.Join(d, "ok.pem")}, "no CAFILE"},
	}
	writeCert(t, filepath.Join(d, "ok.pem"), "ok.example")
	for i, c := range cases {
		auth := ClientCertOptional
		if i == len(cases)-1 {
			auth = ClientCertRequired
		}
		_, err := Server(env(c.env), auth, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error about %q", c.why, err, c.want)
		}
	}
}

func TestCiphers(t *testing.T) {
	d := t.TempDir()
	writeCert(t, filepath.Join(d, "c.pem"), "c.example")
	base := map[string]string{"CERTFILE": filepath.Join(d, "c.pem")}
	base["CIPHERS"] = "HIGH:!aNULL:ECDHE-ECDSA-AES128-GCM-SHA256:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
	cfg, err := Server(env(base), ClientCertOptional, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}
	if len(cfg.CipherSuites) != 2 || cfg.CipherSuites[0] != want[0] || cfg.CipherSuites[1] != want[1] {
		t.Errorf("suites %v, want %v", cfg.CipherSuites, want)
	}
	base["CIPHERS"] = "HIGH:!aNULL"
	cfg, err = Server(env(base), ClientCertOptional, nil)
	if err != nil || cfg.CipherSuites != nil {
		t.Errorf("keywords only must keep Go's defaults: %v %v", cfg.CipherSuites, err)
	}
}

func TestHandshakeWithSNI(t *testing.T) {
	d := t.TempDir()
	writeCert(t, filepath.Join(d, "a.pem"), "a.example")
	srv, err := Server(env(map[string]string{"CERTDIR": d}), ClientCertOptional, nil)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(filepath.Join(d, "a.pem"))
	os.WriteFile(filepath.Join(d, "ca.crt"), caPEM, 0600)
	cli, err := Client(env(map[string]string{"CAFILE": filepath.Join(d, "ca.crt")}), "a.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := testbin.TCPPair(t)
	errc := make(chan error, 1)
	go func() { errc <- tls.Server(a, srv).Handshake() }()
	tc := tls.Client(b, cli.TLS)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	if err := cli.VerifyServer(tc.ConnectionState(), "a.example"); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

// TestVerifyServer checks each way a server certificate is refused, with
// the kind sslclient reports.
func TestVerifyServer(t *testing.T) {
	d := t.TempDir()
	good := testbin.NewCert(t, []string{"mx.example"}, net.IPv4(127, 0, 0, 1))
	other := testbin.NewCert(t, []string{"mx.example"})
	os.WriteFile(filepath.Join(d, "ca.pem"), good.CertPEM(), 0o600)
	cc, err := Client(env(map[string]string{"CAFILE": filepath.Join(d, "ca.pem")}), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(c *testbin.Cert) []*x509.Certificate {
		x, err := x509.ParseCertificate(c.DER)
		if err != nil {
			t.Fatal(err)
		}
		return []*x509.Certificate{x}
	}
	cases := []struct {
		why   string
		certs []*x509.Certificate
		name  string
		kind  VerifyKind // -1: accepted
	}{
		{"trusted and named", leaf(good), "mx.example", -1},
		{"names are case-insensitive", leaf(good), "MX.Example", -1},
		{"an address in the certificate", leaf(good), "127.0.0.1", -1},
		{"no name check (-N)", leaf(good), "", -1},
		{"no certificate at all", nil, "mx.example", NoCertificate},
		{"signed by no trusted CA", leaf(other), "mx.example", Unverified},
		{"untrusted even without a name check", leaf(other), "", Unverified},
		{"another name", leaf(good), "other.example", NameMismatch},
	}
	for _, c := range cases {
		err := cc.VerifyServer(tls.ConnectionState{PeerCertificates: c.certs}, c.name)
		var ve *VerifyError
		switch {
		case c.kind == -1 && err != nil:
			t.Errorf("%s: refused: %v", c.why, err)
		case c.kind != -1 && (!errors.As(err, &ve) || ve.Kind != c.kind):
			t.Errorf("%s: got %v, want kind %d", c.why, err, c.kind)
		}
	}
}

// TestCCAFILEDashWins: CCAFILE=- asks no client certificate even when -m
// or -z would require one, as sslserver.c drops flagclientcert for it.
func TestCCAFILEDashWins(t *testing.T) {
	d := t.TempDir()
	writeCert(t, filepath.Join(d, "ok.pem"), "ok.example")
	for _, auth := range []ClientAuth{ClientCertRequired, ClientCertRequiredName} {
		cfg, err := Server(env(map[string]string{"CERTFILE": filepath.Join(d, "ok.pem"), "CAFILE": filepath.Join(d, "ok.pem"), "CCAFILE": "-"}), auth, nil)
		if err != nil || cfg.ClientAuth != tls.NoClientCert {
			t.Errorf("auth %d with CCAFILE=-: %v, client auth %v", auth, err, cfg)
		}
	}
}
