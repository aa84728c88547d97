package pop3

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// certEnv writes a self-signed certificate for pop.test and returns
// sslserver's CERTFILE and KEYFILE settings.
func certEnv(t *testing.T) []string {
	t.Helper()
	cert, key := testbin.NewCert(t, []string{"pop.test"}).WriteFiles(t, t.TempDir())
	return []string{"CERTFILE=" + cert, "KEYFILE=" + key}
}

const stlsScript = `
import poplib, ssl, sys
port, mode = int(sys.argv[1]), sys.argv[2]
ctx = ssl._create_unverified_context()
if mode == "stls":
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    caps = p.capa()
    assert "STLS" in caps, caps
    try:
        p.user("demo"); print("USER accepted in the clear"); sys.exit(1)
    except poplib.error_proto as e:
        assert "STLS first" in str(e), e
    p.stls(context=ctx)
    assert "STLS" not in p.capa()
else:
    p = poplib.POP3_SSL("127.0.0.1", port, timeout=30, context=ctx)
    assert "STLS" not in p.capa()
p.user("demo"); p.pass_("demo")
assert p.stat()[0] == 3, p.stat()
lines = p.retr(2)[1]
assert b"\n".join(lines) + b"\n" == ("From: sender2@example.com\nSubject: message 2\n\n.starts with a dot\nbody of 2\n").encode(), lines
p.quit()
print("ok")
`

// TestTLS runs qmail-popup under sslserver: STLS with sslserver -n and
// UCSPITLS=! (TLS required before the login), and POP3S (TLS from the
// start, where STLS is not offered).
func TestTLS(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	script := filepath.Join(t.TempDir(), "stls.py")
	os.WriteFile(script, []byte(stlsScript), 0o644)
	for _, c := range []struct {
		mode  string
		opts  []string
		extra []string
	}{
		{"stls", []string{"-n"}, []string{"UCSPITLS=!"}},
		{"pop3s", nil, []string{"UCSPITLS=!"}},
	} {
		s := startServer(t, "sslserver", c.opts, append(certEnv(t), c.extra...))
		s.deliver(t, 3)
		out, err := exec.Command(python, script, s.port, c.mode).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Errorf("%s: %v\n%s\nserver log:\n%s", c.mode, err, out, s.log())
			continue
		}
		s.waitLog(t, "login ok user=demo")
	}
}
