package sslclient

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// scriptDir is a directory with our sslcat, sslconnect and https@ beside
// the programs they run. The scripts are shell scripts in scripts/bin, as
// in ucspi-ssl (sslcat.sh, sslconnect.sh, https@.sh).
func scriptDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"sslclient", "addcr", "delcr", "mconnect-io"} {
		if err := os.Symlink(testbin.Path(t, p), filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"sslcat", "sslconnect", "https@"} {
		b, err := os.ReadFile(filepath.Join(root, "scripts", "bin", s))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tlsPeer is a TLS server on 127.0.0.1 with a certificate for 127.0.0.1:
// for each connection it sends greeting, then (when readUntil is not
// empty) reads up to and including readUntil, records what it read, and
// sends reply and closes.
type tlsPeer struct {
	port string
	ca   string // the certificate, to trust it
	got  chan string
}

func startTLSPeer(t *testing.T, greeting, readUntil, reply string) *tlsPeer {
	t.Helper()
	c := testbin.NewCert(t, []string{"mx.test"}, net.IPv4(127, 0, 0, 1))
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{c.TLS()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &tlsPeer{port: strconv.Itoa(l.Addr().(*net.TCPAddr).Port), ca: filepath.Join(t.TempDir(), "ca.pem"), got: make(chan string, 10)}
	if err := os.WriteFile(p.ca, c.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(conn, greeting)
			var req strings.Builder
			if readUntil != "" {
				r := bufio.NewReader(conn)
				for !strings.HasSuffix(req.String(), readUntil) {
					b, err := r.ReadByte()
					if err != nil {
						break
					}
					req.WriteByte(b)
				}
			}
			p.got <- req.String()
			io.WriteString(conn, reply)
			conn.Close()
		}
	}()
	return p
}

func runScript(t *testing.T, dir, script, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, script), args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader(stdin)
	return testbin.Run(t, cmd)
}

// TestScripts runs sslcat, sslconnect and https@ against a TLS server and
// compares what they send and print, byte for byte, with what ucspi-ssl's
// scripts do: sslcat prints what the server sends unchanged and verifies
// the server (its ARGs go to sslclient); sslconnect sends standard input
// with CR LF and prints the answer as it comes; https@ sends an HTTP/1.0
// GET with a Host header and prints the body without CRs.
func TestScripts(t *testing.T) {
	dir := scriptDir(t)

	t.Run("sslcat", func(t *testing.T) {
		data := "line one\r\nbinary \x00\x01\xff\nno newline at the end"
		p := startTLSPeer(t, data, "", "")
		out, errs, code := runScript(t, dir, "sslcat", "", "127.0.0.1", p.port, "-a", p.ca)
		if out != data || errs != "" || code != 0 {
			t.Errorf("exit %d, printed %q, stderr %q", code, out, errs)
		}
		<-p.got
		// Without the CA the server is refused, as sslclient refuses it.
		out, errs, code = runScript(t, dir, "sslcat", "", "127.0.0.1", p.port)
		if out != "" || code != 111 || !strings.HasPrefix(errs, "sslclient: fatal: missing credentials (CA) or unable to validate server certificate") {
			t.Errorf("unverified server: exit %d, printed %q, stderr %q", code, out, errs)
		}
	})

	t.Run("sslconnect", func(t *testing.T) {
		p := startTLSPeer(t, "220 mx.test ESMTP\r\n", "QUIT\r\n", "221 bye\r\n")
		out, errs, code := runScript(t, dir, "sslconnect", "HELO client.test\nQUIT\n", "127.0.0.1", p.port)
		if sent := <-p.got; sent != "HELO client.test\r\nQUIT\r\n" {
			t.Errorf("sent %q", sent)
		}
		if out != "220 mx.test ESMTP\r\n221 bye\r\n" || errs != "" || code != 0 {
			t.Errorf("exit %d, printed %q, stderr %q", code, out, errs)
		}
	})

	t.Run("https@", func(t *testing.T) {
		p := startTLSPeer(t, "", "\r\n\r\n", "HTTP/1.0 200 OK\r\nServer: test\r\n\r\n<p>body</p>\r\nmore\x01\r\n")
		out, errs, code := runScript(t, dir, "https@", "", "127.0.0.1", "page.html", p.port)
		if sent := <-p.got; sent != "GET /page.html HTTP/1.0\r\nHost: 127.0.0.1:"+p.port+"\r\n\r\n" {
			t.Errorf("sent %q", sent)
		}
		if out != "<p>body</p>\nmore\x01\n" || errs != "" || code != 0 {
			t.Errorf("exit %d, printed %q, stderr %q", code, out, errs)
		}
		// ARGs after the port go to sslclient: -x verifies, and fails here.
		_, errs, _ = runScript(t, dir, "https@", "", "127.0.0.1", "", p.port, "-x")
		if !strings.HasPrefix(errs, "sslclient: fatal: missing credentials (CA)") {
			t.Errorf("-x was not passed to sslclient: stderr %q", errs)
		}
	})
}
