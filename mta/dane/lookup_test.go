package dane

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/dnsclient/dnstest"
)

func TestLookup(t *testing.T) {
	srv := dnstest.Start(t, trimLines(`
		_25._tcp.good.signed.test.     TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
		_25._tcp.pkix.signed.test.     TLSA 1 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
		_25._tcp.mixed.signed.test.    TLSA 1 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
		_25._tcp.mixed.signed.test.    TLSA 2 0 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
		_25._tcp.broken.signed.test.   TLSA 3 1 1 00
		_25._tcp.mx.unsigned.test.     TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
		other.signed.test.             A    192.0.2.1
		_2525._tcp.good.signed.test.   TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	`))
	srv.SetAD("signed.test", true)
	srv.Fail("_25._tcp.fail.signed.test", dnstest.ServFail)
	r := dnsclient.New([]string{srv.Addr})
	r.Timeouts = []time.Duration{200 * time.Millisecond}
	cases := []struct {
		why     string
		host    string
		port    int
		want    Status
		records int
	}{
		{"usable record", "good.signed.test", 25, Authenticated, 1},
		{"records of the port asked", "good.signed.test", 2525, Authenticated, 1},
		{"only PKIX records: TLS without authentication", "pkix.signed.test", 25, Unauthenticated, 1},
		{"one usable among others", "mixed.signed.test", 25, Authenticated, 2},
		{"a SHA2-256 of the wrong length is unusable", "broken.signed.test", 25, Unauthenticated, 1},
		{"records not authenticated do not count", "mx.unsigned.test", 25, None, 0},
		{"no records", "other.signed.test", 25, None, 0},
		{"lookup failed: the host is unusable", "fail.signed.test", 25, Unavailable, 0},
	}
	for _, c := range cases {
		st, recs, err := Lookup(context.Background(), r, c.host, c.port)
		if st != c.want || len(recs) != c.records {
			t.Errorf("%s: status %v, %d records, %v", c.why, st, len(recs), err)
		}
		if (err != nil) != (c.want == Unavailable) {
			t.Errorf("%s: error %v", c.why, err)
		}
	}
}

// trimLines drops each line's indentation, which a zone file would read
// as "the same owner".
func trimLines(zone string) string {
	lines := strings.Split(zone, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}
