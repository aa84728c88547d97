package tcpserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesReopened: the rules cdb is read afresh for each connection, so
// a rebuilt file applies to the next connection without a restart, and a
// file that appears later is used once it is there (with -X meanwhile).
func TestRulesReopened(t *testing.T) {
	dir := t.TempDir()
	cdb := filepath.Join(dir, "rules.cdb")
	srv := startServer(t, ours(t), baseEnv(), "-RHXl0", "-x", cdb, "127.0.0.1", "0", "env")
	for _, step := range []struct {
		rules string // "" = no file
		want  string
	}{
		{"", "PROTO=TCP"},
		{`127.0.0.1:allow,STEP="one"`, "STEP=one"},
		{`127.0.0.1:allow,STEP="two"`, "STEP=two"},
		{`127.0.0.1:deny`, ""},
	} {
		if step.rules != "" {
			built := compileRules(t, step.rules+"\n")
			b, err := os.ReadFile(built)
			if err != nil {
				t.Fatal(err)
			}
			tmp := cdb + ".tmp"
			if err := os.WriteFile(tmp, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, cdb); err != nil {
				t.Fatal(err)
			}
		}
		out := talk(t, "", "127.0.0.1", srv.Port, "")
		if step.want == "" {
			if out != "" {
				t.Fatalf("rules %q: denied client got %q", step.rules, out)
			}
			continue
		}
		if !containsLine(strings.TrimRight(out, "\n"), step.want) {
			t.Fatalf("rules %q: child saw\n%s\nwant the line %s", step.rules, out, step.want)
		}
	}
}
