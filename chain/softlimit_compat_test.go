package chain_test

import (
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

func TestSoftlimitMatchesDebian(t *testing.T) {
	ours := testbin.Path(t, "softlimit")
	theirs := testbin.Peer(t, "softlimit")
	limits := []string{"cat", "/proc/self/limits"}
	for _, tc := range []struct {
		why  string
		args []string
	}{
		{"no options leave the limits alone (the Go runtime's raised open-files limit included)", nil},
		{"-a address space", []string{"-a", "500000000"}},
		{"-c core size", []string{"-c", "0"}},
		{"-d data size", []string{"-d", "50000000"}},
		{"-f file size", []string{"-f", "100000"}},
		{"-l locked memory", []string{"-l", "65536"}},
		{"-m sets data, stack, locked memory and address space", []string{"-m", "300000000"}},
		{"-o open files", []string{"-o", "100"}},
		{"-p processes", []string{"-p", "500"}},
		{"-r resident size", []string{"-r", "30000000"}},
		{"-s stack size", []string{"-s", "1000000"}},
		{"-t cpu seconds", []string{"-t", "100"}},
		{"= raises the soft limit to the hard one", []string{"-o", "="}},
		{"-m = everywhere", []string{"-m", "="}},
		{"a value above the hard limit is clipped", []string{"-o", "99999999999"}},
		{"an empty value is 0", []string{"-c", ""}},
		{"options in a row, the last one winning", []string{"-m", "300000000", "-s", "2000000", "-d8000000"}},
		{"a number too big for unsigned long wraps", []string{"-c", "18446744073709551617"}},
	} {
		args := append(append([]string{}, tc.args...), limits...)
		got := run(t, []string{basePath}, "", append([]string{ours}, args...)...)
		want := run(t, []string{basePath}, "", append([]string{theirs}, args...)...)
		if got.code != want.code || got.stdout != want.stdout {
			t.Errorf("%s: exit %d (%q)\n%s\nDebian's exit %d (%q)\n%s", tc.why, got.code, got.stderr, got.stdout, want.code, want.stderr, want.stdout)
		}
	}
}

// Clipping shows only when the hard limit is below the value, so lower it
// in a shell first and let the shell exec each softlimit.
func TestSoftlimitClipsToLoweredHardLimit(t *testing.T) {
	ours := testbin.Path(t, "softlimit")
	theirs := testbin.Peer(t, "softlimit")
	script := `ulimit -n 1000 && ulimit -c 5000 && exec "$0" -o 5000 -c 9999999 cat /proc/self/limits`
	got := run(t, []string{basePath}, "", "/bin/sh", "-c", script, ours)
	want := run(t, []string{basePath}, "", "/bin/sh", "-c", script, theirs)
	if got.code != 0 || got.stdout != want.stdout {
		t.Errorf("exit %d (%q)\n%s\nDebian's exit %d\n%s", got.code, got.stderr, got.stdout, want.code, want.stdout)
	}
}

func TestSoftlimitUsageMatchesDebian(t *testing.T) {
	ours := testbin.Path(t, "softlimit")
	theirs := testbin.Peer(t, "softlimit")
	for _, tc := range []struct {
		why  string
		args []string
	}{
		{"no child", []string{"-o", "10"}},
		{"no arguments", nil},
		{"a value with a suffix", []string{"-m", "10k", "true"}},
		{"an unknown option", []string{"-z", "1", "true"}},
		{"a missing value", []string{"-o"}},
		{"a missing child program", []string{"-o", "10", "/nonexistent/prog"}},
	} {
		got := run(t, []string{basePath}, "", append([]string{ours}, tc.args...)...)
		want := run(t, []string{basePath}, "", append([]string{theirs}, tc.args...)...)
		if got.code != want.code {
			t.Errorf("%s: exit %d (%q), Debian's %d (%q)", tc.why, got.code, got.stderr, want.code, want.stderr)
		}
		if want.code == 100 && got.stderr != want.stderr {
			t.Errorf("%s: usage message %q, Debian's %q", tc.why, got.stderr, want.stderr)
		}
	}
}
