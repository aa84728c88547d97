package rblsmtpd

import (
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// rblsmtpd's messages and exit codes are Debian's, byte for byte, when
// the program after it cannot be run. RBLSMTPD set and empty accepts the
// client without a lookup.
func TestDiagnosticsMatchDebian(t *testing.T) {
	cases := []testbin.Situation{
		{Why: "no program", Env: []string{"PATH=/usr/bin:/bin", "RBLSMTPD="}, Skip: "the usage line lists the options this rblsmtpd takes (rblsmtpd.1, DIFFERENCES)"},
	}
	for _, c := range testbin.ChildSituations() {
		if c.Env == nil {
			c.Env = []string{"PATH=/usr/bin:/bin"}
		}
		c.Env = append([]string{"RBLSMTPD="}, c.Env...)
		cases = append(cases, c)
	}
	testbin.MatchPeer(t, "rblsmtpd", cases)
}
