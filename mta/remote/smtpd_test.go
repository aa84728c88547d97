package remote

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// smtpdHome makes a qmail home for quail's qmail-smtpd whose qmail-queue
// is a stand-in that keeps the message and the envelope in spool.
func smtpdHome(t *testing.T) (home, spool string) {
	t.Helper()
	home, spool = t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(home, "control"), 0o755)
	os.MkdirAll(filepath.Join(home, "bin"), 0o755)
	os.WriteFile(filepath.Join(home, "control", "me"), []byte("mx.smtpd.test\n"), 0o644)
	os.WriteFile(filepath.Join(home, "control", "rcpthosts"), []byte("smtpd.test\n"), 0o644)
	qq := fmt.Sprintf("#!/bin/sh\nn=$$\ncat > %s/msg.$n\ncat <&1 > %s/env.$n\n", spool, spool)
	os.WriteFile(filepath.Join(home, "bin", "qmail-queue"), []byte(qq), 0o755)
	return home, spool
}

// startServer runs tcpserver or sslserver with -1 on 127.0.0.2 and
// returns the port it printed.
func startServer(t *testing.T, prog string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, prog), append([]string{"-1", "-R", "-H", "-l", "mx.smtpd.test"}, args...)...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", prog, stderr.String())
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("%s did not print its port: %v", prog, err)
	}
	return strings.TrimSpace(line)
}

// queued waits for the stand-in qmail-queue to have written one message
// and its envelope.
func queued(t *testing.T, spool string) (msg, env string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		envs, _ := filepath.Glob(filepath.Join(spool, "env.*"))
		if len(envs) == 1 {
			e, _ := os.ReadFile(envs[0])
			if strings.HasSuffix(string(e), "\x00\x00") {
				m, _ := os.ReadFile(strings.Replace(envs[0], "env.", "msg.", 1))
				return string(m), string(e)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("nothing queued")
	return "", ""
}

// Delivery to quail's qmail-smtpd behind tcpserver, and behind sslserver
// with STARTTLS required by control/tlsdestinations.
func TestQuailSMTPD(t *testing.T) {
	msg := "From: a@quail.test\nSubject: to smtpd\n\n.dot\nbody\n"
	t.Run("tcpserver", func(t *testing.T) {
		home, spool := smtpdHome(t)
		port := startServer(t, "tcpserver", []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}, "127.0.0.2", "0", testbin.Path(t, "qmail-smtpd"))
		in := newInstance(t, "", map[string]string{"smtproutes": "smtpd.test:127.0.0.2:" + port})
		rep := in.run(t, msg, "smtpd.test", "a@quail.test", "u@smtpd.test", "v@smtpd.test")
		if letters(rep) != "rrK" || !strings.HasPrefix(last(rep), "K127.0.0.2 accepted message.\nRemote host said: 250 ") {
			t.Fatalf("reports %q", rep)
		}
		got, env := queued(t, spool)
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
		home, spool := smtpdHome(t)
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
		got, _ := queued(t, spool)
		if !strings.Contains(got, "with ESMTPS") || !strings.HasSuffix(got, msg) {
			t.Fatalf("queued message %q", got)
		}
	})
}

// certFiles writes a self-signed certificate for name, its key, and the
// certificate again as the CA file.
func certFiles(t *testing.T, name string) (cert, key, ca string) {
	t.Helper()
	cfg, caFile := testCert(t, []string{name}, nil)
	c := cfg.Certificates[0]
	kb, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key, caFile
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
	home, spool := smtpdHome(t)
	port := startServer(t, "tcpserver", []string{"PATH=/usr/bin:/bin", "QMAILHOME=" + home}, "127.0.0.2", "0", testbin.Path(t, "qmail-qmtpd"))
	in := newInstance(t, "", map[string]string{"qmtproutes": "smtpd.test:127.0.0.2:" + port})
	msg := "From: a@quail.test\nSubject: over QMTP\n\n.dot\nbody\n"
	rep := in.run(t, msg, "smtpd.test", "a@quail.test", "u@smtpd.test")
	if letters(rep) != "rK" || last(rep) != "K127.0.0.2 accepted message.\n" {
		t.Fatalf("reports %q", rep)
	}
	got, env := queued(t, spool)
	if !strings.HasSuffix(got, msg) || env != "Fa@quail.test\x00Tu@smtpd.test\x00\x00" {
		t.Fatalf("queued %q with envelope %q", got, env)
	}
}
