package sslclient

import (
	"bufio"
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
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func writeCert(t *testing.T, dir, name string) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	p := filepath.Join(dir, "cert.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	b = append(b, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})...)
	os.WriteFile(p, b, 0600)
	return p
}

// sslserver runs our sslserver with the given program and returns its port.
func sslserver(t *testing.T, cert string, prog ...string) string {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "sslserver"), append([]string{"-1", "-RH", "-l", "mx.test", "127.0.0.1", "0"}, prog...)...)
	cmd.Env = []string{"PATH=/bin:/usr/bin", "CERTFILE=" + cert}
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

func TestSSLClientTalksToSSLServer(t *testing.T) {
	dir := t.TempDir()
	cert := writeCert(t, dir, "mx.test")
	port := sslserver(t, cert, "sh", "-c", "echo hello; read line; echo got $line")
	cases := []struct {
		why  string
		env  []string
		args []string
		want string
		ok   bool
	}{
		{"verified by CAFILE with -N", []string{"CAFILE=" + cert}, []string{"-N", "mx.test"}, "hello\ngot ping\n", true},
		{"unverified without CAs", nil, nil, "hello\ngot ping\n", true},
		{"wrong name refused", []string{"CAFILE=" + cert}, []string{"-N", "other.test"}, "", false},
	}
	for _, c := range cases {
		args := append([]string{"-RH"}, c.args...)
		args = append(args, "127.0.0.1", port, "sh", "-c", "read greeting <&6; echo $greeting; echo ping >&7; read reply <&6; echo $reply")
		cmd := exec.Command(testbin.Path(t, "sslclient"), args...)
		cmd.Env = append([]string{"PATH=/bin:/usr/bin"}, c.env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if c.ok && (err != nil || string(out) != c.want) {
			t.Errorf("%s: %v %q\n%s", c.why, err, out, stderr.String())
		}
		if !c.ok && err == nil {
			t.Errorf("%s: connected: %q", c.why, out)
		}
	}
}

func TestExitCodeIsTheProgramsExitCode(t *testing.T) {
	dir := t.TempDir()
	cert := writeCert(t, dir, "mx.test")
	port := sslserver(t, cert, "echo", "x")
	cmd := exec.Command(testbin.Path(t, "sslclient"), "-RH", "127.0.0.1", port, "sh", "-c", "exit 7")
	cmd.Env = []string{"PATH=/bin:/usr/bin"}
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Fatalf("exit %v", err)
	}
}
