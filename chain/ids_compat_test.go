package chain_test

import (
	"os"
	"slices"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// account picks an account the tools can switch to: nobody when root
// (a real change of ids), the invoking user otherwise (where setgroups
// fails in both implementations alike).
func account(t *testing.T) string {
	if os.Getuid() == 0 {
		return "nobody"
	}
	name, ok := os.LookupEnv("USER")
	if !ok {
		t.Skip("not root and $USER unset: no account to use")
	}
	return name
}

func TestSetuidgidMatchesDebian(t *testing.T) {
	ours := testbin.Path(t, "setuidgid")
	theirs := testbin.Peer(t, "setuidgid")
	acct := account(t)
	for _, tc := range []struct {
		why  string
		args []string
	}{
		{"the ids the child runs with", []string{acct, "id"}},
		{"the environment is untouched", []string{acct, "env", "-0"}},
		{"an unknown account", []string{"no-such-account-q", "id"}},
		{"no child", []string{acct}},
		{"no arguments", nil},
		{"a missing child", []string{acct, "/nonexistent/prog"}},
	} {
		env := []string{basePath, "UID=7", "X=y"}
		got := run(t, env, "", append([]string{ours}, tc.args...)...)
		want := run(t, env, "", append([]string{theirs}, tc.args...)...)
		if got.code != want.code || got.stdout != want.stdout {
			t.Errorf("%s: exit %d, output %q (%q); Debian's exit %d, output %q (%q)",
				tc.why, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
		}
	}
	if os.Getuid() == 0 {
		got := run(t, []string{basePath}, "", ours, "nobody", "id", "-u")
		if got.stdout == "0\n" {
			t.Errorf("setuidgid nobody still runs the child as root")
		}
	}
}

func TestEnvuidgidMatchesDebian(t *testing.T) {
	ours := testbin.Path(t, "envuidgid")
	theirs := testbin.Peer(t, "envuidgid")
	acct := account(t)
	for _, tc := range []struct {
		why  string
		env  []string
		args []string
	}{
		{"GID and UID are added", []string{basePath, "X=y"}, []string{acct, "env", "-0"}},
		{"old values are replaced", []string{basePath, "UID=1", "GID=2"}, []string{"root", "env", "-0"}},
		{"ids are not changed", []string{basePath}, []string{acct, "id"}},
		{"an unknown account", []string{basePath}, []string{"no-such-account-q", "true"}},
		{"no child", []string{basePath}, []string{acct}},
		{"no arguments", []string{basePath}, nil},
	} {
		got := run(t, tc.env, "", append([]string{ours}, tc.args...)...)
		want := run(t, tc.env, "", append([]string{theirs}, tc.args...)...)
		g, w := sortedEnv(got.stdout), sortedEnv(want.stdout)
		if got.code != want.code || !slices.Equal(g, w) {
			t.Errorf("%s: exit %d, output %q (%q); Debian's exit %d, output %q (%q)",
				tc.why, got.code, g, got.stderr, want.code, w, want.stderr)
		}
	}
}
