package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// authServer runs sslserver -n with qmail-smtpd and the checkpassword
// program checker (checkvpw or cmd5checkpw) for the virtual user demo
// with password "demo"; env adds to the server's environment.
func (in *instance) authServer(checker string, env ...string) string {
	t := in.t
	t.Helper()
	for _, p := range []string{"checkvpw", "cmd5checkpw", "qmail-newvpw"} {
		if _, err := os.Lstat(filepath.Join(in.Bin, p)); err != nil {
			if err := os.Symlink(testbin.Path(t, p), filepath.Join(in.Bin, p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	home := filepath.Dir(in.Maildir)
	os.WriteFile(filepath.Join(in.Home, "users", "vpasswd"), []byte("demo:{PLAIN}demo:::"+home+"\n"), 0o600)
	newvpw := exec.Command(filepath.Join(in.Bin, "qmail-newvpw"))
	newvpw.Env = in.Env
	if out, err := newvpw.CombinedOutput(); err != nil {
		t.Fatalf("qmail-newvpw: %v: %s", err, out)
	}
	srv := testbin.StartServer(t, filepath.Join(in.Bin, "sslserver"),
		append(append(append([]string{}, in.Env...), selfSignedCert(t)...), env...),
		"-n", "-R", "-H", "-l", "mx.test", "127.0.0.1", "0", "qmail-smtpd", checker, "true")
	return strconv.Itoa(srv.Port)
}

func selfSignedCert(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		DNSNames: []string{"mx.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, keyf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return []string{"CERTFILE=" + cert, "KEYFILE=" + keyf}
}

// TestSwaksAuthOverStartTLS logs in with each mechanism over STARTTLS
// (sslserver -n, UCSPITLS set), checked by the real checkvpw and
// cmd5checkpw, and relays as the authenticated user; without TLS AUTH is
// neither offered nor accepted.
func TestSwaksAuthOverStartTLS(t *testing.T) {
	swaks := testbin.Peer(t, "swaks")
	in := newInstance(t)
	port := in.authServer("checkvpw", "UCSPITLS=")
	cramPort := in.authServer("cmd5checkpw", "UCSPITLS=")
	run := func(port string, args ...string) (string, error) {
		base := []string{"--server", "127.0.0.1", "--port", port, "--from", "demo@mx.test", "--helo", "client.test", "--timeout", "30"}
		out, err := exec.Command(swaks, append(base, args...)...).CombinedOutput()
		return string(out), err
	}
	sent := 0
	for _, c := range []struct{ port, mech string }{{port, "PLAIN"}, {port, "LOGIN"}, {port, "CRAM-MD5"}, {cramPort, "CRAM-MD5"}} {
		out, err := run(c.port, "--tls", "--auth", c.mech, "--auth-user", "demo", "--auth-password", "demo", "--to", "demo@mx.test")
		if err != nil || !strings.Contains(out, "<~  235 ") || !strings.Contains(out, "<~  250 2.0.0 ok") {
			t.Errorf("%s: %v\n%s", c.mech, err, out)
			continue
		}
		sent++
	}
	out, err := run(port, "--tls", "--auth", "LOGIN", "--auth-user", "demo", "--auth-password", "wrong", "--to", "demo@mx.test")
	if err == nil || !strings.Contains(out, "<~* 535 ") {
		t.Errorf("a wrong password was not refused with 535: %v\n%s", err, out)
	}
	out, _ = run(port, "--quit-after", "EHLO")
	if strings.Contains(out, "AUTH") || !strings.Contains(out, "STARTTLS") {
		t.Errorf("without TLS AUTH is offered or STARTTLS is not:\n%s", out)
	}
	out, err = run(port, "--auth", "PLAIN", "--auth-user", "demo", "--auth-password", "demo", "--to", "demo@mx.test")
	if err == nil || strings.Contains(out, " 235 ") {
		t.Errorf("AUTH succeeded without TLS: %v\n%s", err, out)
	}
	if sent > 0 {
		in.waitDelivered(sent, 30*time.Second)
	}
}
