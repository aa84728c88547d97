package sslclient

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// writeCert writes a certificate for name and its key to one file in dir.
func writeCert(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, "cert.pem")
	testbin.NewCert(t, []string{name}).WriteCombined(t, p)
	return p
}

// sslserver runs our sslserver with the given program and returns its port.
func sslserver(t *testing.T, cert string, prog ...string) string {
	t.Helper()
	srv := testbin.StartServer(t, testbin.Path(t, "sslserver"), []string{"PATH=/bin:/usr/bin", "CERTFILE=" + cert},
		append([]string{"-RH", "-l", "mx.test", "127.0.0.1", "0"}, prog...)...)
	return strconv.Itoa(srv.Port)
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
