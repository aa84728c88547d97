package chain_test

import (
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// Usage lines and their exit codes are the original's, byte for byte.
func TestUsageMatchesDebian(t *testing.T) {
	for _, tc := range []struct {
		prog string
		args []string
	}{
		{"envdir", nil}, {"envdir", []string{"dir"}},
		{"envuidgid", nil}, {"envuidgid", []string{"root"}},
		{"setuidgid", nil}, {"setuidgid", []string{"root"}},
		{"softlimit", nil}, {"softlimit", []string{"-x"}},
		{"setlock", nil}, {"setlock", []string{"file"}}, {"setlock", []string{"-y", "file", "true"}},
		{"pgrphack", nil},
		{"fghack", nil},
		{"readproctitle", nil}, {"readproctitle", []string{"abcd"}},
	} {
		got := run(t, []string{basePath}, "", append([]string{testbin.Path(t, tc.prog)}, tc.args...)...)
		want := run(t, []string{basePath}, "", append([]string{testbin.Peer(t, tc.prog)}, tc.args...)...)
		if got.code != want.code || got.stderr != want.stderr || got.stdout != want.stdout {
			t.Errorf("%s %q: exit %d, stderr %q; Debian's exit %d, stderr %q", tc.prog, tc.args, got.code, got.stderr, want.code, want.stderr)
		}
	}
}
