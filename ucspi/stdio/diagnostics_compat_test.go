package stdio

import (
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// Usage lines, error messages and exit codes are ucspi-tcp's, byte for
// byte, beside Debian's programs on the same failing situations.
func TestDiagnosticsMatchDebian(t *testing.T) {
	// argv0 runs its first argument under the name given second.
	named := testbin.ChildSituations()
	for i := range named {
		named[i].Args = append(named[i].Args, "name")
	}
	testbin.MatchPeer(t, "argv0", append([]testbin.Situation{
		{Why: "no arguments"},
		{Why: "no program name", Args: []string{"true"}},
	}, named...))
	testbin.MatchPeer(t, "fixcrio", append([]testbin.Situation{{Why: "no arguments"}}, testbin.ChildSituations()...))
	testbin.MatchPeer(t, "recordio", []testbin.Situation{{Why: "no arguments"}})
	for _, prog := range []string{"addcr", "delcr"} {
		testbin.MatchPeer(t, prog, []testbin.Situation{
			{Why: "arguments are ignored", Args: []string{"-x", "y"}, Stdin: "a\r\nb\n"},
		})
	}
}
