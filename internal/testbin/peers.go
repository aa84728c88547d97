package testbin

import (
	"os"
	"testing"
)

// Peer returns the path of a reference tool (Debian's daemontools or
// ucspi-tcp-ipv6 program, swaks, smtp-source ...), looked for in the system
// directories only. When it is missing the
// test is skipped with the reason, or fails when QUAIL_REQUIRE_PEERS=1, as
// CI sets it, so that a compatibility claim is never silently untested.
func Peer(t testing.TB, name string, candidates ...string) string {
	t.Helper()
	// Never $PATH: ours carry the same names and may come first there.
	for _, c := range append(candidates, name) {
		for _, d := range []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin"} {
			if fi, err := os.Stat(d + "/" + c); err == nil && fi.Mode()&0111 != 0 {
				return d + "/" + c
			}
		}
	}
	if os.Getenv("QUAIL_REQUIRE_PEERS") == "1" {
		t.Fatalf("reference tool %s is not installed (QUAIL_REQUIRE_PEERS=1)", name)
	}
	t.Skipf("reference tool %s is not installed", name)
	return ""
}
