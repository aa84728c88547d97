package remote

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// startServer runs tcpserver or sslserver with -1 and returns the port it
// printed.
func startServer(t *testing.T, prog string, env []string, args ...string) string {
	t.Helper()
	srv := testbin.StartServer(t, testbin.Path(t, prog), env, append([]string{"-R", "-H", "-l", "mx.smtpd.test"}, args...)...)
	return strconv.Itoa(srv.Port)
}

// queued waits for the stand-in qmail-queue to have written one message
// and its whole envelope.
func queued(t *testing.T, qq *testbin.QueueStandIn) (msg, env string) {
	t.Helper()
	var q []string
	if !testbin.Eventually(10*time.Second, func() bool {
		q = qq.Queued(t)
		return len(q) == 1 && strings.HasSuffix(q[0], "\x00\x00")
	}) {
		t.Fatal("nothing queued")
	}
	msg, env, _ = strings.Cut(q[0], "|")
	return msg, env
}

// Delivery to quail's qmail-smtpd behind tcpserver, and behind sslserver
// with STARTTLS required by control/tlsdestinations.
func TestQuailSMTPD(t *testing.T) {
	msg := "From: a@quail.test\nSubject: to smtpd\n\n.dot\nbody\n"
	t.Run("tcpserver", func(t *testing.T) {
		home, qq := testbin.SMTPHome(t, "mx.smtpd.test", "smtpd.test")
		port := startServer(t, "tcpserver", []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}, "127.0.0.2", "0", testbin.Path(t, "qmail-smtpd"))
		in := newInstance(t, "", map[string]string{"smtproutes": "smtpd.test:127.0.0.2:" + port})
		rep := in.run(t, msg, "smtpd.test", "a@quail.test", "u@smtpd.test", "v@smtpd.test")
		if letters(rep) != "rrK" || !strings.HasPrefix(last(rep), "K127.0.0.2 accepted message.\nRemote host said: 250 ") {
			t.Fatalf("reports %q", rep)
		}
		got, env := queued(t, qq)
		if !strings.HasSuffix(got, msg) || !strings.HasPrefix(got, "Received: ") {
			t.Fatalf("queued message %q", got)
		}
		if env != "Fa@quail.test\x00Tu@smtpd.test\x00Tv@smtpd.test\x00\x00" {
			t.Fatalf("envelope %q", env)
		}
	})
	t.Run("sslserver STARTTLS", func(t *testing.T) {
		if !haveProgram("sslserver") {
			t.Skip("sslserver is not part of this tree yet")
		}
		home, qq := testbin.SMTPHome(t, "mx.smtpd.test", "smtpd.test")
		cert, key, ca := certFiles(t, "mx.smtpd.test")
		env := []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home, "CERTFILE=" + cert, "KEYFILE=" + key, "UCSPITLS="}
		port := startServer(t, "sslserver", env, "-n", "127.0.0.2", "0", testbin.Path(t, "qmail-smtpd"))
		zone := `
			smtpd.test.    MX 10 mx.smtpd.test.
			mx.smtpd.test. A 127.0.0.2
		`
		in := newInstance(t, zone, map[string]string{"smtpport": port, "tlsdestinations": "=smtpd.test:" + ca})
		rep := in.run(t, msg, "smtpd.test", "a@quail.test", "u@smtpd.test")
		if letters(rep) != "rK" || !strings.HasPrefix(last(rep), "K127.0.0.2 accepted message over TLS.\n") {
			t.Fatalf("reports %q", rep)
		}
		got, _ := queued(t, qq)
		if !strings.Contains(got, "with ESMTPS") || !strings.HasSuffix(got, msg) {
			t.Fatalf("queued message %q", got)
		}
	})
}

// certFiles writes a self-signed certificate for name, its key (as
// PKCS #8) and the certificate again as the CA file.
func certFiles(t *testing.T, name string) (cert, key, ca string) {
	t.Helper()
	c := testbin.NewCert(t, []string{name})
	kb, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, c.CertPEM(), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key, cert
}

// haveProgram tells whether the tree (or $QUAIL_BIN) has the program.
func haveProgram(name string) bool {
	if dir := os.Getenv("QUAIL_BIN"); dir != "" {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	_, err := os.Stat(filepath.Join("..", "..", "cmd", name, "main.go"))
	return err == nil
}

// QMTP delivery to quail's qmail-qmtpd behind tcpserver.
func TestQuailQMTPD(t *testing.T) {
	if !haveProgram("qmail-qmtpd") {
		t.Skip("qmail-qmtpd is not part of this tree yet")
	}
	home, qq := testbin.SMTPHome(t, "mx.smtpd.test", "smtpd.test")
	port := startServer(t, "tcpserver", []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}, "127.0.0.2", "0", testbin.Path(t, "qmail-qmtpd"))
	in := newInstance(t, "", map[string]string{"qmtproutes": "smtpd.test:127.0.0.2:" + port})
	msg := "From: a@quail.test\nSubject: over QMTP\n\n.dot\nbody\n"
	rep := in.run(t, msg, "smtpd.test", "a@quail.test", "u@smtpd.test")
	if letters(rep) != "rK" || last(rep) != "K127.0.0.2 accepted message.\n" {
		t.Fatalf("reports %q", rep)
	}
	got, env := queued(t, qq)
	if !strings.HasSuffix(got, msg) || env != "Fa@quail.test\x00Tu@smtpd.test\x00\x00" {
		t.Fatalf("queued %q with envelope %q", got, env)
	}
}
