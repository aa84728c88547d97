package rules

import (
	"os"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// tcprules' and tcprulescheck's messages and exit codes are ucspi-tcp's,
// byte for byte, beside Debian's programs on the same failing situations.
func TestDiagnosticsMatchDebian(t *testing.T) {
	spins := "Debian's tcprules never returns on this line (REFERENCE.md; tcprules.1, DIFFERENCES)"
	var situations []testbin.Situation
	for _, line := range []string{
		"1.2.3.4:allow,X", "1.2.3.4:allow,X=", `1.2.3.4:allow,X="a`, "x:allow,",
		"1.2.3.4:allowx", "1.2.3.4:deny,", "1.2.3.4:deny,X=1,", "=host:denyx",
	} {
		situations = append(situations, testbin.Situation{Why: "a line it cannot parse", Args: []string{"r.cdb", "r.tmp"}, Stdin: "1:allow\n" + line + "\n2:deny\n"})
	}
	testbin.MatchPeer(t, "tcprules", append(situations, []testbin.Situation{
		{Why: "no arguments"},
		{Why: "one argument", Args: []string{"r.cdb"}},
		{Why: "rules it can compile", Args: []string{"r.cdb", "r.tmp"}, Stdin: "# comment\n1.2.3.:allow,A=\"b\"\n:deny\n"},
		{Why: "a temporary file in a missing directory", Args: []string{"r.cdb", "missing/r.tmp"}, Setup: testbin.Fixtures},
		{Why: "a directory for the temporary file", Args: []string{"r.cdb", "d"}, Setup: testbin.Fixtures},
		{Why: "a temporary file through a file", Args: []string{"r.cdb", "f/r.tmp"}, Setup: testbin.Fixtures},
		{Why: "a temporary file through a symbolic link loop", Args: []string{"r.cdb", "loop/r.tmp"}, Setup: testbin.Fixtures},
		{Why: "a directory for the cdb", Args: []string{"d", "r.tmp"}, Setup: testbin.Fixtures},
		{Why: "a cdb in a missing directory", Args: []string{"missing/r.cdb", "r.tmp"}, Setup: testbin.Fixtures},
		{Why: "a cdb on another file system", Args: []string{"/proc/r.cdb", "r.tmp"}, Setup: testbin.Fixtures},
		{Why: "a line with no allow or deny", Args: []string{"r.cdb", "r.tmp"}, Stdin: "10.0.0.1:permit\n", Skip: spins},
		{Why: "a line without a colon", Args: []string{"r.cdb", "r.tmp"}, Stdin: "10.0.0.1 deny\n", Skip: spins},
	}...))

	cdbs := testbin.WithFixtures(func(t testing.TB, dir string) {
		testbin.Must(t, os.WriteFile(dir+"/empty.cdb", nil, 0o644))
		testbin.Must(t, os.WriteFile(dir+"/short.cdb", []byte(strings.Repeat("\x01", 100)), 0o644))
	})
	testbin.MatchPeer(t, "tcprulescheck", []testbin.Situation{
		{Why: "no arguments"},
		{Why: "a missing cdb", Args: []string{"missing.cdb"}, Setup: cdbs},
		{Why: "an empty cdb, which cdb_init cannot map", Args: []string{"empty.cdb"}, Setup: cdbs},
		{Why: "a cdb cut short", Args: []string{"short.cdb"}, Setup: cdbs},
		{Why: "a cdb through a symbolic link loop", Args: []string{"loop"}, Setup: cdbs},
		{Why: "a directory for the cdb", Args: []string{"d"}, Setup: cdbs, Skip: "Debian's tcprulescheck dies of SIGSEGV"},
	})
}
