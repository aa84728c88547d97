package tcpserver

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestCompatTruncatedRules: a rules cdb cut short drops each connection
// with the same warning from Debian's tcpserver and ours.
func TestCompatTruncatedRules(t *testing.T) {
	full, err := os.ReadFile(compileRules(t, "127.0.0.1:allow,X=\"1\"\n10.0.0.0:deny\n"))
	if err != nil {
		t.Fatal(err)
	}
	cdb := filepath.Join(t.TempDir(), "cut.cdb")
	if err := os.WriteFile(cdb, full[:2060], 0o644); err != nil {
		t.Fatal(err)
	}
	want := "tcpserver: warning: dropping connection, unable to read " + cdb + ": protocol error\n"
	for _, bin := range []string{peerOrSkip(t), ours(t)} {
		srv := startServer(t, bin, baseEnv(), "-RHl0", "-x", cdb, "127.0.0.1", "0", "env")
		if out := talk(t, "", "127.0.0.1", srv.Port, ""); out != "" {
			t.Errorf("%s: client got %q", bin, out)
		}
		srv.waitLog("^"+regexp.QuoteMeta(want[:len(want)-1])+"$", 1)
	}
}
