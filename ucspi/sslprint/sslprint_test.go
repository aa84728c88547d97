package sslprint

import (
	"bytes"
	"crypto/tls"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestPrintGolden pins Print's bytes for a small environment: every
// variable of the list, in sslprint.c's order, "unset" for the missing
// ones, an empty value kept empty.
func TestPrintGolden(t *testing.T) {
	env := map[string]string{
		"PROTO": "SSL", "SSLLOCALIP": "127.0.0.1", "SSLLOCALPORT": "465",
		"SSLREMOTEIP": "192.0.2.7", "SSLREMOTEPORT": "50000", "SSLREMOTEHOST": "",
		"SSL_PROTOCOL": "TLSv1.3", "SSL_CIPHER": "TLS_AES_128_GCM_SHA256",
		"SSL_SERVER_S_DN_CN": "mx.test", "NOT_PRINTED": "x",
	}
	var b bytes.Buffer
	if err := Print(&b, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "print.golden")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("Print wrote\n%s\nwant\n%s", b.Bytes(), want)
	}
}

// TestSSLPrint runs the real sslprint: a TLS client gets the list with
// the values sslserver set for its connection, and the words after host
// and port are ignored.
func TestSSLPrint(t *testing.T) {
	dir := t.TempDir()
	cert, key := testbin.NewCert(t, []string{"mx.test"}).WriteFiles(t, dir)
	srv := testbin.StartServer(t, testbin.Path(t, "sslprint"), []string{"CERTFILE=" + cert, "KEYFILE=" + key},
		"-s", "-RH", "-l", "mx.test", "127.0.0.1", "0", "ignored", "words")
	c, err := tls.Dial("tcp", srv.Addr("127.0.0.1"), &tls.Config{InsecureSkipVerify: true, ServerName: "mx.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(out, "\nPROTO=SSL\n") || !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not start with an empty line and PROTO, or lacks its last newline:\n%s", out)
	}
	for _, want := range []string{"SSLLOCALHOST=mx.test", "SSLREMOTEIP=127.0.0.1", "SSLREMOTEHOST=unset",
		"TCPREMOTEIP=127.0.0.1", "SSL_PROTOCOL=TLSv1.3", "SSL_TLS_SNI=mx.test", "SSL_SERVER_S_DN_CN=mx.test", "SSL_CLIENT_S_DN=unset"} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("no line %q in\n%s", want, out)
		}
	}
	for _, v := range Vars {
		if !strings.Contains(out, "\n"+v+"=") {
			t.Errorf("%s not printed", v)
		}
	}
}

// TestUsage: sslprint needs host and port, and no program.
func TestUsage(t *testing.T) {
	cmd := exec.Command(testbin.Path(t, "sslprint"), "127.0.0.1")
	_, errs, code := testbin.Run(t, cmd)
	if code != 100 || !strings.HasPrefix(errs, "sslprint: usage: sslprint [ ") || strings.Contains(errs, "program") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
