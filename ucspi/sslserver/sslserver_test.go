package sslserver

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/ucspi/tlsenv"
)

// startServer starts sslserver on 127.0.0.1 with a free port (-1 prints
// it) and returns the address.
func startServer(t *testing.T, env []string, args ...string) string {
	t.Helper()
	return testbin.StartServer(t, testbin.Path(t, "sslserver"), env, append([]string{"-R", "-H", "-l", "mx.test"}, args...)...).Addr("127.0.0.1")
}

// bothSides runs a test with the TLS side in the server process and in
// the TLS helper, which SSL_UID (here the uid the test runs as, so that
// no privilege is needed) turns on.
func bothSides(t *testing.T, test func(t *testing.T, side []string)) {
	t.Run("in process", func(t *testing.T) { test(t, nil) })
	t.Run("helper", func(t *testing.T) { test(t, []string{"SSL_UID=" + strconv.Itoa(os.Getuid())}) })
}

func baseEnv(t *testing.T) []string {
	dir := t.TempDir()
	cert, key := testbin.NewCert(t, []string{"mx.test"}).WriteFiles(t, dir)
	return []string{"PATH=/bin:/usr/bin", "CERTFILE=" + cert, "KEYFILE=" + key}
}

func TestImplicitTLSEnvironment(t *testing.T) { bothSides(t, testImplicitTLSEnvironment) }

func testImplicitTLSEnvironment(t *testing.T, side []string) {
	addr := startServer(t, append(baseEnv(t), side...), "-s", "127.0.0.1", "0", "sh", "-c", "env | sort; echo done")
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
	bothSides(t, testGarbageIsDroppedAndServerKeepsServing)
}

func testGarbageIsDroppedAndServerKeepsServing(t *testing.T, side []string) {
	addr := startServer(t, append(baseEnv(t), side...), "-T", "5", "127.0.0.1", "0", "echo", "hello")
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
	bothSides(t, testMissingCertificateIsFatalAtStart)
}

func testMissingCertificateIsFatalAtStart(t *testing.T, side []string) {
	cmd := exec.Command(testbin.Path(t, "sslserver"), "127.0.0.1", "0", "true")
	cmd.Env = append([]string{"CERTFILE=/nonexistent/cert.pem"}, side...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 111 || !strings.HasPrefix(string(out), "sslserver: fatal: ") {
		t.Fatalf("exit %v, output %q", err, out)
	}
}

func TestStartTLSWithOpenSSL(t *testing.T) { bothSides(t, testStartTLSWithOpenSSL) }

func testStartTLSWithOpenSSL(t *testing.T, side []string) {
	openssl := testbin.Peer(t, "openssl")
	home, qq := testbin.SMTPHome(t, "mx.test", "test")
	env := append(append(baseEnv(t), side...), "QMAILHOME="+home, "UCSPITLS=")
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

// startLogged is startServer that also returns the server, for its log.
func startLogged(t *testing.T, env []string, args ...string) *testbin.Server {
	t.Helper()
	return testbin.StartServer(t, testbin.Path(t, "sslserver"), env, append([]string{"-R", "-H", "-l", "mx.test"}, args...)...)
}

// TestVerboseTLSLines: -v logs "tls PID accept" for each session's
// handshake, with the program's pid, and -V adds the protocol and the
// cipher (sslserver 0.12's verbosity 3), for immediate and delayed TLS.
func TestVerboseTLSLines(t *testing.T) { bothSides(t, testVerboseTLSLines) }

func testVerboseTLSLines(t *testing.T, side []string) {
	pidLine := regexp.MustCompile(`sslserver: pid (\d+) from 127\.0\.0\.1\n`)
	for _, c := range []struct {
		why, flag string
		info      bool
	}{
		{"-v", "-v", false},
		{"-V", "-V", true},
	} {
		srv := startLogged(t, append(baseEnv(t), side...), c.flag, "127.0.0.1", "0", "echo", "hi")
		tc, err := tls.Dial("tcp", srv.Addr("127.0.0.1"), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(tc)
		cs := tc.ConnectionState()
		tc.Close()
		var pid string
		if !testbin.Eventually(10*time.Second, func() bool {
			m := pidLine.FindStringSubmatch(srv.Stderr.String())
			if m != nil {
				pid = m[1]
			}
			return m != nil && strings.Contains(srv.Stderr.String(), "sslserver: tls "+pid+" accept")
		}) {
			t.Fatalf("%s: no tls line in\n%s", c.why, srv.Stderr.String())
		}
		want := "sslserver: tls " + pid + " accept\n"
		if c.info {
			want = "sslserver: tls " + pid + " accept " + tlsenv.ProtocolName(cs.Version) + ":" + tlsenv.CipherName(cs.CipherSuite) + "\n"
		}
		if !strings.Contains(srv.Stderr.String(), want) {
			t.Errorf("%s: want %q in\n%s", c.why, want, srv.Stderr.String())
		}
	}

	// Delayed TLS: the line comes when the program starts TLS.
	openssl := testbin.Peer(t, "openssl")
	home, _ := testbin.SMTPHome(t, "mx.test", "test")
	srv := startLogged(t, append(append(baseEnv(t), side...), "QMAILHOME="+home, "UCSPITLS="), "-V", "-n", "127.0.0.1", "0", testbin.Path(t, "qmail-smtpd"))
	cmd := exec.Command(openssl, "s_client", "-quiet", "-starttls", "smtp", "-connect", srv.Addr("127.0.0.1"))
	cmd.Stdin = strings.NewReader("QUIT\r\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	if !testbin.Eventually(10*time.Second, func() bool {
		m := pidLine.FindStringSubmatch(srv.Stderr.String())
		return m != nil && regexp.MustCompile(`sslserver: tls `+m[1]+` accept TLSv1\.[23]:\S+\n`).MatchString(srv.Stderr.String())
	}) {
		t.Fatalf("delayed TLS: no tls line in\n%s", srv.Stderr.String())
	}
}

// TestClientCertificatePerConnection: a rule's CCAVERIFY makes sslserver
// require a verified client certificate from the addresses it covers,
// without -z or -m, and CCAFILE=- turns the request off even under -m
// (sslserver(1)).
func TestClientCertificatePerConnection(t *testing.T) {
	bothSides(t, testClientCertificatePerConnection)
}

func testClientCertificatePerConnection(t *testing.T, side []string) {
	dir := t.TempDir()
	clientCert := testbin.NewCert(t, []string{"client.test"})
	ca := filepath.Join(dir, "client-ca.pem")
	if err := os.WriteFile(ca, clientCert.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	rules := func(line string) string {
		cdb := filepath.Join(t.TempDir(), "rules.cdb")
		cmd := exec.Command(testbin.Path(t, "tcprules"), cdb, cdb+".tmp")
		cmd.Stdin = strings.NewReader(line + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tcprules: %v %s", err, out)
		}
		return cdb
	}
	show := []string{"sh", "-c", `echo "$SSL_CLIENT_VERIFY"`}
	dial := func(addr string, withCert bool) string {
		cfg := &tls.Config{InsecureSkipVerify: true}
		if withCert {
			cfg.Certificates = []tls.Certificate{clientCert.TLS()}
		}
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			return "refused"
		}
		defer c.Close()
		b, err := io.ReadAll(c)
		if err != nil && len(b) == 0 {
			return "refused" // TLS 1.3: the refusal comes after the client's side of the handshake
		}
		return strings.TrimSpace(string(b))
	}
	env := append(append(baseEnv(t), side...), "CAFILE="+ca)
	cases := []struct {
		why      string
		args     []string
		withCert bool
		want     string
	}{
		{"no rule: a certificate is optional", nil, false, "NONE"},
		{"no rule: a given one is verified", nil, true, "SUCCESS"},
		{"CCAVERIFY: none given", []string{"-x", rules(`127.0.0.1:allow,CCAVERIFY=""`)}, false, "refused"},
		{"CCAVERIFY: a verified one", []string{"-x", rules(`127.0.0.1:allow,CCAVERIFY=""`)}, true, "SUCCESS"},
		{"CCAVERIFY for other addresses only", []string{"-x", rules("10.0.0.1:allow,CCAVERIFY=\"\"\n:allow")}, false, "NONE"},
		{"-m: none given", []string{"-m"}, false, "refused"},
		{"CCAFILE=- under -m: not asked", []string{"-m", "-x", rules(`127.0.0.1:allow,CCAFILE="-"`)}, true, "NONE"},
	}
	for _, c := range cases {
		args := append(append([]string{"-s"}, c.args...), "127.0.0.1", "0")
		addr := startServer(t, env, append(args, show...)...)
		if got := dial(addr, c.withCert); got != c.want {
			t.Errorf("%s: got %q, want %q", c.why, got, c.want)
		}
	}

	// CCAVERIFY without any CA to verify with drops the connection with
	// a warning; the server goes on.
	srv := startLogged(t, append(baseEnv(t), side...), "-x", rules(`127.0.0.1:allow,CCAVERIFY=""`), "127.0.0.1", "0", "echo", "hi")
	if got := dial(srv.Addr("127.0.0.1"), true); got != "refused" {
		t.Errorf("CCAVERIFY without CAs: got %q", got)
	}
	if !testbin.Eventually(10*time.Second, func() bool {
		return strings.Contains(srv.Stderr.String(), "sslserver: warning: dropping connection, unable to verify client certificate (CCAVERIFY): no CAFILE or CADIR\n")
	}) {
		t.Errorf("no warning in %q", srv.Stderr.String())
	}
}

// encryptedKey writes cert's key encrypted with password the way OpenSSL
// 3 does by default (PKCS #8, PBES2, AES-256-CBC) and returns its file.
func encryptedKey(t *testing.T, c *testbin.Cert, password string) string {
	t.Helper()
	openssl := testbin.Peer(t, "openssl")
	dir := t.TempDir()
	_, plain := c.WriteFiles(t, dir)
	enc := filepath.Join(dir, "key-encrypted.pem")
	cmd := exec.Command(openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", plain, "-out", enc, "-passout", "pass:"+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs8: %v %s", err, out)
	}
	return enc
}

// withFD3 is a script that runs sslserver with file on descriptor 3.
func withFD3(t *testing.T, file string) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "sslserver-fd3")
	body := "#!/bin/sh\nexec " + testbin.Path(t, "sslserver") + ` "$@" 3<` + file + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// TestKeyPasswordFromFD3: -3 reads a NUL-terminated password from
// descriptor 3 and decrypts the key with it; a wrong password, or no
// descriptor 3, is fatal at start.
func TestKeyPasswordFromFD3(t *testing.T) { bothSides(t, testKeyPasswordFromFD3) }

func testKeyPasswordFromFD3(t *testing.T, side []string) {
	dir := t.TempDir()
	c := testbin.NewCert(t, []string{"mx.test"})
	cert, _ := c.WriteFiles(t, dir)
	key := encryptedKey(t, c, "s3cret pass")
	env := append([]string{"PATH=/bin:/usr/bin", "CERTFILE=" + cert, "KEYFILE=" + key}, side...)
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("s3cret pass\x00ignored"), 0o600)
	srv := testbin.StartServer(t, withFD3(t, good), env, "-3", "-RH", "-l", "mx.test", "127.0.0.1", "0", "echo", "hello")
	tc, err := tls.Dial("tcp", srv.Addr("127.0.0.1"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(tc); string(b) != "hello\n" {
		t.Errorf("got %q", b)
	}

	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("wrong\x00"), 0o600)
	cmd := exec.Command(withFD3(t, bad), "-3", "127.0.0.1", "0", "true")
	cmd.Env = env
	_, errs, code := testbin.Run(t, cmd)
	if code != 111 || !strings.HasPrefix(errs, "sslserver: fatal: unable to load certificate "+cert+": unable to decrypt key: ") {
		t.Errorf("wrong password: exit %d, %q", code, errs)
	}

	cmd = exec.Command(testbin.Path(t, "sslserver"), "-3", "127.0.0.1", "0", "true")
	cmd.Env = env
	_, errs, code = testbin.Run(t, cmd)
	if code != 111 || errs != "sslserver: fatal: unable to read password: file descriptor not open\n" {
		t.Errorf("no descriptor 3: exit %d, %q", code, errs)
	}
}
