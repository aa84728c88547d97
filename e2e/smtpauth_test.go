package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/passwd"
)

// authServer runs sslserver -n with qmail-smtpd and the checkpassword
// program checker (checkvpw or cmd5checkpw for the virtual user demo,
// checkpassword for the system user demo of a passwd and shadow file of
// its own) with password "demo"; env adds to the server's environment.
func (in *instance) authServer(checker string, env ...string) string {
	t := in.t
	t.Helper()
	for _, p := range []string{"checkpassword", "checkvpw", "cmd5checkpw", "qmail-newvpw"} {
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
	if checker == "checkpassword" {
		env = append(env, systemUser(t)...)
	}
	srv := testbin.StartServer(t, filepath.Join(in.Bin, "sslserver"),
		append(append(append([]string{}, in.Env...), selfSignedCert(t)...), env...),
		"-n", "-R", "-H", "-l", "mx.test", "127.0.0.1", "0", "qmail-smtpd", checker, "true")
	return strconv.Itoa(srv.Port)
}

// systemUser writes a passwd and a shadow file holding the user demo
// with password "demo" as a SHA-512 crypt hash, and returns the
// variables that point checkpassword at them. As root the login runs as
// nobody (checkpassword refuses uid 0), otherwise as the invoking user.
func systemUser(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 65534, 65534
	}
	hash, err := passwd.Crypt([]byte("demo"), "$6$e2esalt")
	if err != nil {
		t.Fatal(err)
	}
	pw, sh := filepath.Join(dir, "passwd"), filepath.Join(dir, "shadow")
	os.WriteFile(pw, []byte(fmt.Sprintf("demo:x:%d:%d::/:/bin/sh\n", uid, gid)), 0o644)
	os.WriteFile(sh, []byte("demo:"+hash+":19000::::::\n"), 0o600)
	return []string{"CHECKPASSWORD_PASSWD=" + pw, "CHECKPASSWORD_SHADOW=" + sh}
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

// authLine is the AUTH keyword's value in what swaks printed after
// STARTTLS, "" when none was offered.
func authLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		for _, p := range []string{"<~  250-AUTH ", "<~  250 AUTH "} {
			if v, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), p); ok {
				return v
			}
		}
	}
	return ""
}

// TestSwaksEveryAdvertisedMechanism runs each of quail's checkpassword
// programs behind qmail-smtpd, as the README's chain does, and logs in
// with swaks by every mechanism the server advertises: each must work
// with the right password and fail with 535 with a wrong one. The
// system checkpassword holds hashes only, so it gets no CRAM-MD5 offer,
// not even under SMTPAUTH=+cram; checkvpw's crypt-hash entry answers a
// CRAM-MD5 login with 504, not with a failed password.
func TestSwaksEveryAdvertisedMechanism(t *testing.T) {
	swaks := testbin.Peer(t, "swaks")
	in := newInstance(t)
	run := func(port string, args ...string) (string, error) {
		base := []string{"--server", "127.0.0.1", "--port", port, "--from", "demo@mx.test", "--helo", "client.test", "--timeout", "30", "--tls"}
		out, err := exec.Command(swaks, append(base, args...)...).CombinedOutput()
		return string(out), err
	}
	sent := 0
	for _, c := range []struct {
		checker string
		env     []string
		want    string
	}{
		{"checkpassword", nil, "PLAIN LOGIN"},
		{"checkvpw", nil, "PLAIN LOGIN CRAM-MD5"},
		{"cmd5checkpw", nil, "PLAIN LOGIN CRAM-MD5"},
		{"cmd5checkpw", []string{"SMTPAUTH="}, "PLAIN LOGIN"},
		{"cmd5checkpw", []string{"SMTPAUTH=cram"}, "CRAM-MD5"},
		{"checkpassword", []string{"SMTPAUTH=+cram"}, "PLAIN LOGIN"},
	} {
		port := in.authServer(c.checker, append([]string{"UCSPITLS="}, c.env...)...)
		out, _ := run(port, "--quit-after", "HELO")
		got := authLine(out)
		if got != c.want {
			t.Errorf("%s %v: AUTH %q, want %q\n%s", c.checker, c.env, got, c.want, out)
		}
		for _, mech := range strings.Fields(got) {
			out, err := run(port, "--auth", mech, "--auth-user", "demo", "--auth-password", "demo", "--to", "demo@mx.test")
			if err != nil || !strings.Contains(out, "<~  235 ") || !strings.Contains(out, "<~  250 2.0.0 ok") {
				t.Errorf("%s %v %s: %v\n%s", c.checker, c.env, mech, err, out)
			} else {
				sent++
			}
			out, err = run(port, "--auth", mech, "--auth-user", "demo", "--auth-password", "wrong", "--to", "demo@mx.test")
			if err == nil || !strings.Contains(out, "<~* 535 ") {
				t.Errorf("%s %v %s: a wrong password was not refused with 535: %v\n%s", c.checker, c.env, mech, err, out)
			}
		}
	}
	// checkvpw for a user whose entry is a crypt hash: CRAM-MD5 is
	// offered (other users can use it) but cannot be checked for this one.
	hash, _ := passwd.Crypt([]byte("demo"), "$6$e2esalt")
	port := in.authServer("checkvpw", "UCSPITLS=")
	os.WriteFile(filepath.Join(in.Home, "users", "vpasswd"), []byte("demo:"+hash+":::"+filepath.Dir(in.Maildir)+"\n"), 0o600)
	newvpw := exec.Command(filepath.Join(in.Bin, "qmail-newvpw"))
	newvpw.Env = in.Env
	if out, err := newvpw.CombinedOutput(); err != nil {
		t.Fatalf("qmail-newvpw: %v: %s", err, out)
	}
	out, err := run(port, "--auth", "CRAM-MD5", "--auth-user", "demo", "--auth-password", "demo", "--to", "demo@mx.test")
	if err == nil || !strings.Contains(out, "<~* 504 5.5.4 that mechanism is not available for this user") {
		t.Errorf("CRAM-MD5 against a crypt hash: %v\n%s", err, out)
	}
	out, err = run(port, "--auth", "PLAIN", "--auth-user", "demo", "--auth-password", "demo", "--to", "demo@mx.test")
	if err != nil || !strings.Contains(out, "<~  235 ") {
		t.Errorf("PLAIN against a crypt hash: %v\n%s", err, out)
	} else {
		sent++
	}
	in.waitDelivered(sent, 60*time.Second)
}
