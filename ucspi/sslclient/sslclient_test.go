package sslclient

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// writeCert writes a certificate for names (and 127.0.0.1 when ip) and its
// key to one file in dir, and the certificate alone to dir/ca.pem, for a
// client to trust.
func writeCert(t *testing.T, dir string, ip bool, names ...string) (combined, ca string) {
	t.Helper()
	var c *testbin.Cert
	if ip {
		c = testbin.NewCert(t, names, net.IPv4(127, 0, 0, 1))
	} else {
		c = testbin.NewCert(t, names)
	}
	combined, ca = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "ca.pem")
	c.WriteCombined(t, combined)
	if err := os.WriteFile(ca, c.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return combined, ca
}

// sslserver runs our sslserver with the given options and program and
// returns its port.
func sslserver(t *testing.T, env []string, args ...string) string {
	t.Helper()
	srv := testbin.StartServer(t, testbin.Path(t, "sslserver"), append([]string{"PATH=/bin:/usr/bin"}, env...),
		append([]string{"-RH", "-l", "mx.test"}, args...)...)
	return strconv.Itoa(srv.Port)
}

// run runs our sslclient with args in exactly env and returns what it
// printed and its exit code.
func run(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "sslclient"), args...)
	cmd.Env = append([]string{"PATH=/bin:/usr/bin"}, env...)
	return testbin.Run(t, cmd)
}

// talk is a program for sslclient: it reads the server's greeting on 6,
// answers on 7 and prints what it got.
const talk = "read greeting <&6; echo $greeting; echo ping >&7; read reply <&6; echo $reply"

// TestVerification runs sslclient against sslserver with each of the
// options that decide whether and how the server's certificate is checked
// (ucspi-ssl's -a -A -V -x -X -n -N), and pins the messages of refusals.
func TestVerification(t *testing.T) {
	dir := t.TempDir()
	cert, ca := writeCert(t, dir, true, "mx.test")
	port := sslserver(t, []string{"CERTFILE=" + cert}, "127.0.0.1", "0", "sh", "-c", "echo hello; read line; echo got $line")
	other, otherCA := writeCert(t, t.TempDir(), false, "mx.test")
	otherPort := sslserver(t, []string{"CERTFILE=" + other}, "127.0.0.1", "0", "sh", "-c", "echo hello; read line; echo got $line")
	caDir := t.TempDir()
	os.Link(ca, filepath.Join(caDir, "mine.pem"))
	const ok = "hello\ngot ping\n"
	cases := []struct {
		why     string
		env     []string
		args    []string
		port    string
		wantErr string // "" = success
	}{
		{"-a names the CA", nil, []string{"-a", ca}, port, ""},
		{"-A names a directory of CAs", nil, []string{"-A", caDir}, port, ""},
		{"$CAFILE when -a is not given", []string{"CAFILE=" + ca}, nil, port, ""},
		{"-a wins over $CAFILE", []string{"CAFILE=" + otherCA}, []string{"-a", ca}, port, ""},
		{"the system's CAs by default", nil, nil, port,
			"sslclient: fatal: missing credentials (CA) or unable to validate server certificate: "},
		{"-X does not verify", nil, []string{"-X"}, port, ""},
		{"-V 0 takes a self-signed certificate", nil, []string{"-a", ca, "-V", "0"}, port, ""},
		{"a certificate without the address", nil, []string{"-a", otherCA}, otherPort,
			"sslclient: fatal: server hostname does not match certificate: 127.0.0.1\n"},
		{"-N skips the name check", nil, []string{"-N", "-a", otherCA}, otherPort, ""},
		{"-N still checks the chain", nil, []string{"-N", "-a", ca}, otherPort,
			"sslclient: fatal: missing credentials (CA) or unable to validate server certificate: "},
		{"-n undoes -N", nil, []string{"-N", "-n", "-a", otherCA}, otherPort,
			"sslclient: fatal: server hostname does not match certificate: 127.0.0.1\n"},
		{"a missing CA file", nil, []string{"-a", filepath.Join(dir, "none.pem")}, port,
			"sslclient: fatal: unable to read CA file " + filepath.Join(dir, "none.pem") + ": "},
	}
	for _, c := range cases {
		args := append(append([]string{"-RH"}, c.args...), "127.0.0.1", c.port, "sh", "-c", talk)
		out, errs, code := run(t, c.env, args...)
		if c.wantErr == "" {
			if out != ok || errs != "" || code != 0 {
				t.Errorf("%s: exit %d, %q, stderr %q", c.why, code, out, errs)
			}
			continue
		}
		if out != "" || code != 111 || !strings.HasPrefix(errs, c.wantErr) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, %q, stderr %q; want exit 111 and %q", c.why, code, out, errs, c.wantErr)
		}
	}
}

// envLines is the program's view of the connection variables, sorted,
// with the local port blanked.
func envLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(lines)
	return regexp.MustCompile(`(?m)^(SSL|TCP)LOCALPORT=\d+$`).ReplaceAllString(strings.Join(lines, "\n"), "${1}LOCALPORT=PORT")
}

// TestEnvironment pins the variables the program sees: ucspi-ssl's PROTO
// and SSL* ones, the TCP* ones only with -e, unknown ones removed.
func TestEnvironment(t *testing.T) {
	cert, _ := writeCert(t, t.TempDir(), true, "mx.test")
	port := sslserver(t, []string{"CERTFILE=" + cert}, "127.0.0.1", "0", "true")
	show := `env | grep -E '^(PROTO|SSL|TCP)' | grep -v '^SSL_'`
	stale := []string{"SSLREMOTEHOST=stale", "TCPREMOTEIP=stale", "TCPREMOTEHOST=stale"}
	base := "PROTO=SSL\nSSLLOCALHOST=0\nSSLLOCALIP=127.0.0.1\nSSLLOCALPORT=PORT\nSSLREMOTEIP=127.0.0.1\nSSLREMOTEPORT=" + port
	cases := []struct {
		why  string
		args []string
		want string
	}{
		{"-E by default: TCP* left as inherited", nil,
			base + "\nTCPREMOTEHOST=stale\nTCPREMOTEIP=stale"},
		{"-e sets TCP* too", []string{"-e"},
			base + "\nTCPLOCALHOST=0\nTCPLOCALIP=127.0.0.1\nTCPLOCALPORT=PORT\nTCPREMOTEIP=127.0.0.1\nTCPREMOTEPORT=" + port},
	}
	for _, c := range cases {
		args := append(append([]string{"-XHl0"}, c.args...), "127.0.0.1", port, "sh", "-c", show)
		out, errs, code := run(t, stale, args...)
		if got := envLines(out); got != envLines(c.want) || code != 0 {
			t.Errorf("%s: exit %d %q\ngot:\n%s\nwant:\n%s", c.why, code, errs, got, envLines(c.want))
		}
	}
}

// TestSSLVariablesAndSNI: -s gives the program the server's certificate
// as SSL_SERVER_*; -m sends the host as SNI, which the server sees as
// SSL_TLS_SNI, and -M (the default) does not.
func TestSSLVariablesAndSNI(t *testing.T) {
	dns := dnstest.Start(t, "mx.test. A 127.0.0.1")
	cert, ca := writeCert(t, t.TempDir(), true, "mx.test")
	port := sslserver(t, []string{"CERTFILE=" + cert}, "-s", "127.0.0.1", "0", "sh", "-c", `echo "${SSL_TLS_SNI-none}"`)
	env := []string{"DNSCACHEIP=" + dns.Addr}
	for _, c := range []struct {
		why, flags, want string
	}{
		{"no SNI by default", "-RHl0", "none\nmx.test\n"},
		{"-m sends it", "-mRHl0", "mx.test\nmx.test\n"},
		{"-M undoes -m", "-mMRHl0", "none\nmx.test\n"},
	} {
		out, errs, code := run(t, env, c.flags, "-s", "-a", ca, "mx.test", port, "sh", "-c", `read sni <&6; echo $sni; echo "$SSL_SERVER_S_DN_CN"`)
		if out != c.want || code != 0 {
			t.Errorf("%s: exit %d, %q, stderr %q; want %q", c.why, code, out, errs, c.want)
		}
	}
}

func TestExitCodeIsTheProgramsExitCode(t *testing.T) {
	cert, _ := writeCert(t, t.TempDir(), true, "mx.test")
	port := sslserver(t, []string{"CERTFILE=" + cert}, "127.0.0.1", "0", "echo", "x")
	_, _, code := run(t, nil, "-XRH", "127.0.0.1", port, "sh", "-c", "exit 7")
	if code != 7 {
		t.Fatalf("exit %d, want 7", code)
	}
}

// TestHandshakeFailure: a server that does not speak TLS ends sslclient
// with "unable to SSL connect" and 111, and the program never runs.
func TestHandshakeFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte("220 plain SMTP\r\n"))
			c.Close()
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	out, errs, code := run(t, nil, "-XRH", "127.0.0.1", port, "sh", "-c", "echo ran")
	if out != "" || code != 111 || !strings.HasPrefix(errs, "sslclient: fatal: unable to SSL connect: ") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("exit %d, %q, stderr %q", code, out, errs)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-V", "x", "0", "443", "true"},
		{"-w", "-1", "0", "443", "true"},
		{"0", "443"},
	} {
		_, errs, code := run(t, nil, args...)
		if code != 100 || !strings.HasPrefix(errs, "sslclient: usage: sslclient ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// opensslServer runs `openssl s_server -rev` (it sends back each line
// reversed) on a free loopback port with a certificate for mx.test and
// 127.0.0.1, plus args, and returns the port and the CA file to trust.
func opensslServer(t *testing.T, args ...string) (port, ca string) {
	t.Helper()
	openssl := testbin.Peer(t, "openssl")
	dir := t.TempDir()
	c := testbin.NewCert(t, []string{"mx.test"}, net.IPv4(127, 0, 0, 1))
	certFile, keyFile := c.WriteFiles(t, dir)
	cmd := exec.Command(openssl, append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", certFile, "-key", keyFile, "-rev", "-naccept", "1"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := testbin.Start(t, cmd)
	lines := make(chan string, 1)
	go func() {
		buf := make([]byte, 4096)
		var got string
		for !strings.Contains(got, "\n") || !strings.Contains(got, "ACCEPT ") {
			n, err := out.Read(buf)
			got += string(buf[:n])
			if err != nil {
				break
			}
		}
		lines <- got
		for {
			if _, err := out.Read(buf); err != nil {
				return
			}
		}
	}()
	select {
	case got := <-lines:
		m := regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)`).FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("openssl s_server printed %q; stderr %s", got, p.Stderr.String())
		}
		return m[1], certFile
	case <-time.After(20 * time.Second):
		t.Fatalf("openssl s_server did not start: %s", p.Stderr.String())
	}
	return "", ""
}

// TestOpenSSLServer talks to openssl s_server: the session carries the
// program's lines both ways, and -c and -k present the client certificate
// a server demanding one (-Verify) checks; without them the server's
// refusal ends sslclient with 111.
func TestOpenSSLServer(t *testing.T) {
	client := testbin.NewCert(t, []string{"client.test"})
	dir := t.TempDir()
	clientCert, clientKey := client.WriteFiles(t, dir)
	prog := []string{"sh", "-c", `echo hello >&7; read line <&6; echo "[$line]"`}

	port, ca := opensslServer(t)
	out, errs, code := run(t, nil, append([]string{"-RH", "-a", ca, "127.0.0.1", port}, prog...)...)
	if out != "[olleh]\n" || code != 0 {
		t.Errorf("plain session: exit %d, %q, stderr %q", code, out, errs)
	}

	port, ca = opensslServer(t, "-Verify", "1", "-CAfile", clientCert)
	out, errs, code = run(t, nil, append([]string{"-RH", "-a", ca, "-c", clientCert, "-k", clientKey, "127.0.0.1", port}, prog...)...)
	if out != "[olleh]\n" || code != 0 {
		t.Errorf("with a client certificate: exit %d, %q, stderr %q", code, out, errs)
	}

	port, ca = opensslServer(t, "-Verify", "1", "-CAfile", clientCert)
	out, errs, code = run(t, nil, append([]string{"-RH", "-a", ca, "127.0.0.1", port}, prog...)...)
	if code != 111 || !strings.HasPrefix(errs, "sslclient: fatal: unable to speak SSL: ") || strings.Contains(out, "olleh") {
		t.Errorf("without the certificate the server wants: exit %d, %q, stderr %q", code, out, errs)
	}
}

// TestEncryptedClientKey: -3 reads the password of an encrypted client
// key (OpenSSL's default PKCS #8 form) from descriptor 3, and the client
// certificate passes a server that demands one.
func TestEncryptedClientKey(t *testing.T) {
	openssl := testbin.Peer(t, "openssl")
	dir := t.TempDir()
	client := testbin.NewCert(t, []string{"client.test"})
	clientCert, plain := client.WriteFiles(t, dir)
	key := filepath.Join(dir, "key-encrypted.pem")
	if out, err := exec.Command(openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", plain, "-out", key, "-passout", "pass:pw").CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs8: %v %s", err, out)
	}
	for _, c := range []struct {
		why      string
		password string // "" = no descriptor 3
		wantOut  string
		wantErr  string
	}{
		{"the right password", "pw", "[olleh]\n", ""},
		{"a wrong one", "nope", "", "sslclient: fatal: unable to load certificate " + clientCert + ": unable to decrypt key: "},
		{"no descriptor 3", "", "", "sslclient: fatal: unable to read password: file descriptor not open\n"},
	} {
		port, ca := opensslServer(t, "-Verify", "1", "-CAfile", clientCert)
		cmd := exec.Command(testbin.Path(t, "sslclient"), "-3", "-RH", "-a", ca, "-c", clientCert, "-k", key, "127.0.0.1", port,
			"sh", "-c", `echo hello >&7; read line <&6; echo "[$line]"`)
		cmd.Env = []string{"PATH=/bin:/usr/bin"}
		if c.password != "" {
			f := filepath.Join(t.TempDir(), "pw")
			os.WriteFile(f, []byte(c.password+"\x00"), 0o600)
			pwFile, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer pwFile.Close()
			cmd.ExtraFiles = []*os.File{pwFile}
		}
		out, errs, code := testbin.Run(t, cmd)
		if c.wantErr == "" && (out != c.wantOut || errs != "" || code != 0) ||
			c.wantErr != "" && (code != 111 || !strings.HasPrefix(errs, c.wantErr)) {
			t.Errorf("%s: exit %d, %q, stderr %q", c.why, code, out, errs)
		}
	}
}
