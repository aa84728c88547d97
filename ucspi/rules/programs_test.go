package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/cdbmake"
	"github.com/quail-mta/quail/internal/testbin"
)

func TestTCPRulesProgram(t *testing.T) {
	bin := testbin.Path(t, "tcprules")
	tests := []struct {
		why     string
		args    []string // relative to a fresh directory holding r.cdb = "old"
		stdin   string
		code    int
		stderr  string // substring
		cdb     string // expected r.cdb afterwards; "old" = untouched
		tmpGone bool
	}{
		{"no arguments", nil, "", 100, "tcprules: usage: tcprules rules.cdb rules.tmp\n", "old", true},
		{"one argument", []string{"r.cdb"}, "", 100, "tcprules: usage: tcprules rules.cdb rules.tmp\n", "old", true},
		{"a parse error keeps the old cdb", []string{"r.cdb", "r.tmp"}, "1:allow\n\n10.0.0.1:permit\n", 100,
			"tcprules: fatal: unable to parse this line: 10.0.0.1:permit\n", "old", true},
		{"a line without a colon is refused", []string{"r.cdb", "r.tmp"}, "10.0.0.1 deny\n", 100,
			"tcprules: fatal: unable to parse this line: 10.0.0.1 deny\n", "old", true},
		{"tmp in a missing directory", []string{"r.cdb", "no/r.tmp"}, "1:allow\n", 111,
			"tcprules: fatal: unable to create no/r.tmp: file does not exist\n", "old", true},
		{"rename onto a directory fails and removes tmp", []string{"dir", "r.tmp"}, "1:allow\n", 111,
			"tcprules: fatal: unable to move r.tmp to dir: is a directory\n", "old", true},
		{"success replaces the cdb", []string{"r.cdb", "r.tmp"}, "1:allow\n", 0, "", "new", true},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "r.cdb"), []byte("old"), 0644)
		os.Mkdir(filepath.Join(dir, "dir"), 0755)
		os.WriteFile(filepath.Join(dir, "dir", "x"), nil, 0644) // rename(2) onto a non-empty directory fails
		_, stderr, code := runTool(t, dir, bin, tc.args, []byte(tc.stdin), nil)
		if code != tc.code || !strings.Contains(string(stderr), tc.stderr) || (tc.stderr == "" && len(stderr) > 0) {
			t.Errorf("%s: exit %d stderr %q; want %d and %q", tc.why, code, stderr, tc.code, tc.stderr)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "r.cdb"))
		switch {
		case tc.cdb == "old" && string(got) != "old":
			t.Errorf("%s: r.cdb changed", tc.why)
		case tc.cdb == "new" && len(got) < cdbmake.HeaderSize:
			t.Errorf("%s: r.cdb not replaced (%d bytes)", tc.why, len(got))
		}
		if _, err := os.Stat(filepath.Join(dir, "r.tmp")); tc.tmpGone && err == nil {
			t.Errorf("%s: r.tmp left behind", tc.why)
		}
	}
}

func TestTCPRulesReadError(t *testing.T) {
	bin := testbin.Path(t, "tcprules")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r.cdb"), []byte("old"), 0644)
	stdin, err := os.Open(dir) // reading a directory fails with EISDIR
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	cmd := testCommand(bin, dir, "r.cdb", "r.tmp")
	cmd.Stdin = stdin
	_, stderr, code := testbin.Run(t, cmd)
	if code != 111 || !strings.Contains(stderr, "tcprules: fatal: unable to read input: ") {
		t.Fatalf("exit %d stderr %q; want 111 and a read error", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "r.cdb")); string(got) != "old" {
		t.Error("r.cdb changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "r.tmp")); err == nil {
		t.Error("r.tmp left behind")
	}
}

func TestTCPRulesCheckProgram(t *testing.T) {
	bin := testbin.Path(t, "tcprulescheck")
	dir := t.TempDir()
	path := buildCDB(t, "=:deny\n:allow,X=/default/\n1.2.3.4:deny,A=/after/\n10.0.0.0/8:allow,C=/cidr/\n")
	os.WriteFile(filepath.Join(dir, "bad.cdb"), []byte("junk\n"), 0644)
	tests := []struct {
		why    string
		args   []string
		env    []string
		code   int
		stdout string
		stderr string
	}{
		{"usage", nil, nil, 100, "", "tcprulescheck: usage: tcprulescheck rules.cdb\n"},
		{"missing cdb", []string{"none.cdb"}, nil, 111, "", "tcprulescheck: fatal: unable to read none.cdb: file does not exist\n"},
		{"short cdb", []string{"bad.cdb"}, nil, 111, "", "tcprulescheck: fatal: unable to read bad.cdb: "},
		{"no environment: 0.0.0.0, no host: the empty key", []string{path}, nil, 0, "rule :\nset environment variable X=default\nallow connection\n", ""},
		{"an empty TCPREMOTEHOST is a known host, as in 0.88", []string{path}, []string{"TCPREMOTEHOST="}, 0, "rule =:\ndeny connection\n", ""},
		{"deny stops the listing", []string{path}, []string{"TCPREMOTEIP=1.2.3.4"}, 0, "rule 1.2.3.4:\ndeny connection\n", ""},
		{"CIDR rules show the block, without the key's newline", []string{path}, []string{"TCPREMOTEIP=10.1.2.3"}, 0, "rule 10.0.0.0/8:\nset environment variable C=cidr\nallow connection\n", ""},
	}
	for _, tc := range tests {
		stdout, stderr, code := runTool(t, dir, bin, tc.args, nil, tc.env)
		if code != tc.code || string(stdout) != tc.stdout || !strings.HasPrefix(string(stderr), tc.stderr) || (tc.stderr == "" && len(stderr) > 0) {
			t.Errorf("%s: exit %d stdout %q stderr %q; want %d %q %q", tc.why, code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
	empty := buildCDB(t, "")
	if stdout, _, _ := runTool(t, dir, bin, []string{empty}, nil, nil); string(stdout) != "default:\nallow connection\n" {
		t.Errorf("empty cdb: %q", stdout)
	}
}
