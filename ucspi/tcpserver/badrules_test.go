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

// TestCompatDroppedConnections: the warning for a connection that cannot
// be served is Debian's, word for word: an empty rules cdb (which djb's
// cdb_init cannot map) and programs that cannot be run.
func TestCompatDroppedConnections(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.cdb")
	noexec := filepath.Join(dir, "noexec")
	for _, f := range []string{empty, noexec} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		why  string
		args []string
		want string
	}{
		{"an empty rules cdb", []string{"-x", empty, "127.0.0.1", "0", "env"}, "unable to read " + empty + ": invalid argument"},
		{"a program found nowhere", []string{"127.0.0.1", "0", "no-such-program"}, "unable to run no-such-program: file does not exist"},
		{"a program that may not be run", []string{"127.0.0.1", "0", noexec}, "unable to run " + noexec + ": access denied"},
	} {
		want := "tcpserver: warning: dropping connection, " + c.want
		for _, bin := range []string{peerOrSkip(t), ours(t)} {
			srv := startServer(t, bin, baseEnv(), append([]string{"-RHl0"}, c.args...)...)
			if out := talk(t, "", "127.0.0.1", srv.Port, ""); out != "" {
				t.Errorf("%s, %s: client got %q", c.why, bin, out)
			}
			srv.waitLog("^"+regexp.QuoteMeta(want)+"$", 1)
		}
	}
}
