package sslserver

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// startServer starts sslserver on 127.0.0.1 with a free port (-1 prints
// it) and returns the address.
func startServer(t *testing.T, env []string, args ...string) string {
	t.Helper()
	return testbin.StartServer(t, testbin.Path(t, "sslserver"), env, append([]string{"-R", "-H", "-l", "mx.test"}, args...)...).Addr("127.0.0.1")
}

func baseEnv(t *testing.T) []string {
	dir := t.TempDir()
	cert, key := testbin.NewCert(t, []string{"mx.test"}).WriteFiles(t, dir)
	return []string{"PATH=/bin:/usr/bin", "CERTFILE=" + cert, "KEYFILE=" + key}
}

func TestImplicitTLSEnvironment(t *testing.T) {
	addr := startServer(t, baseEnv(t), "-s", "127.0.0.1", "0", "sh", "-c", "env | sort; echo done")
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := io.ReadAll(c)
	env := string(b)
	for _, want := range []string{"PROTO=SSL\n", "SSLREMOTEIP=127.0.0.1\n", "TCPREMOTEIP=127.0.0.1\n", "SSLLOCALHOST=mx.test\n", "SSL_PROTOCOL=TLSv1.3\n", "SSL_CIPHER=", "done\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("missing %q in\n%s", want, env)
		}
	}
}

func TestNoTCPVariablesWithE(t *testing.T) {
	addr := startServer(t, baseEnv(t), "-E", "127.0.0.1", "0", "sh", "-c", "env | sort")
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	if strings.Contains(string(b), "TCPREMOTEIP=") || !strings.Contains(string(b), "SSLREMOTEIP=") {
		t.Errorf("env:\n%s", b)
	}
}

func TestGarbageIsDroppedAndServerKeepsServing(t *testing.T) {
	addr := startServer(t, baseEnv(t), "-T", "5", "127.0.0.1", "0", "echo", "hello")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	if strings.Contains(string(b), "hello") {
		t.Fatalf("cleartext client reached the program: %q", b)
	}
	c.Close()
	tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("server stopped serving after garbage: %v", err)
	}
	b, _ = io.ReadAll(tc)
	if string(b) != "hello\n" {
		t.Fatalf("got %q", b)
	}
}

func TestMissingCertificateIsFatalAtStart(t *testing.T) {
	cmd := exec.Command(testbin.Path(t, "sslserver"), "127.0.0.1", "0", "true")
	cmd.Env = []string{"CERTFILE=/nonexistent/cert.pem"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 111 || !strings.HasPrefix(string(out), "sslserver: fatal: ") {
		t.Fatalf("exit %v, output %q", err, out)
	}
}

func TestStartTLSWithOpenSSL(t *testing.T) {
	openssl := testbin.Peer(t, "openssl")
	home, qq := testbin.SMTPHome(t, "mx.test", "test")
	env := append(baseEnv(t), "QMAILHOME="+home, "UCSPITLS=")
	addr := startServer(t, env, "-n", "127.0.0.1", "0", testbin.Path(t, "qmail-smtpd"))
	cmd := exec.Command(openssl, "s_client", "-quiet", "-starttls", "smtp", "-connect", addr)
	cmd.Stdin = strings.NewReader("EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@test>\r\nDATA\r\nSubject: over TLS\r\n\r\nsecret\r\n.\r\nQUIT\r\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "250 2.0.0 ok") {
		t.Fatalf("no acceptance over TLS:\n%s", out)
	}
	msgs := qq.Queued(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	if b, _, _ := strings.Cut(msgs[0], "|"); !strings.Contains(b, "with ESMTPS;") || !strings.Contains(b, "secret") {
		t.Errorf("message %q", b)
	}
}

func TestStartTLSWithSwaks(t *testing.T) {
	swaks := testbin.Peer(t, "swaks")
	home, qq := testbin.SMTPHome(t, "mx.test", "test")
	env := append(baseEnv(t), "QMAILHOME="+home, "UCSPITLS=!")
	addr := startServer(t, env, "-n", "127.0.0.1", "0", testbin.Path(t, "qmail-smtpd"))
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(swaks, "--server", host, "--port", port, "--tls", "--from", "a@b.test", "--to", "u@test", "--helo", "client.test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	if msgs := qq.Queued(t); len(msgs) != 1 {
		t.Fatalf("%d messages queued\n%s", len(msgs), out)
	}
	// Without TLS the same server refuses MAIL (UCSPITLS=!).
	cmd = exec.Command(swaks, "--server", host, "--port", port, "--from", "a@b.test", "--to", "u@test", "--helo", "client.test")
	out, _ = cmd.CombinedOutput()
	if !strings.Contains(string(out), "530 5.7.0 Must issue a STARTTLS command first") {
		t.Fatalf("cleartext MAIL not refused:\n%s", out)
	}
}

func TestOpenSSLImplicit(t *testing.T) {
	openssl := testbin.Peer(t, "openssl")
	home, qq := testbin.SMTPHome(t, "mx.test", "test")
	env := append(baseEnv(t), "QMAILHOME="+home)
	addr := startServer(t, env, "127.0.0.1", "0", testbin.Path(t, "qmail-smtpd"))
	cmd := exec.Command(openssl, "s_client", "-quiet", "-connect", addr, "-servername", "mx.test")
	cmd.Stdin = strings.NewReader("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<u@test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "250 2.0.0 ok") {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(string(out), "STARTTLS") {
		t.Errorf("STARTTLS offered inside implicit TLS")
	}
	if msgs := qq.Queued(t); len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
}
