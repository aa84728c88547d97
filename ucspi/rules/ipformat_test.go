package rules

import (
	"net/netip"
	"testing"
)

// The expected texts are what Debian's tcpserver (ucspi-tcp-ipv6 0.88-7)
// put in TCPREMOTEIP for clients bound to these addresses, observed in a
// private network namespace.
func TestFormatIP(t *testing.T) {
	tests := []struct{ why, in, want string }{
		{"IPv4 stays dotted", "192.0.2.1", "192.0.2.1"},
		{"v4-mapped becomes dotted", "::ffff:10.1.2.3", "10.1.2.3"},
		{"loopback", "::1", "::1"},
		{"a run of one zero group is compressed (not in RFC 5952)", "2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1::1"},
		{"first of equal runs of one", "1:0:1:0:1:0:1:1", "1::1:0:1:0:1:1"},
		{"longest run wins over an earlier shorter one", "1:0:1:0:0:1:1:1", "1:0:1::1:1:1"},
		{"first of equal longest runs", "2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"},
		{"longer later run", "2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
		{"run at the end", "2001:db8:1:1:1:0:0:0", "2001:db8:1:1:1::"},
		{"single zero at the end", "2001:db8:1:1:1:1:1:0", "2001:db8:1:1:1:1:1::"},
		{"single zero at the start", "0:1:1:1:1:1:1:1", "::1:1:1:1:1:1:1"},
		{"no zero group", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
		{"IPv4-compatible is hex, not dotted", "::0.0.0.3", "::3"},
		{"NAT64 is hex", "64:ff9b::1.2.3.4", "64:ff9b::102:304"},
		{"zone dropped", "fe80::1:2%eth0", "fe80::1:2"},
		{"all zero", "::", "::"},
	}
	for _, tc := range tests {
		if got := FormatIP(netip.MustParseAddr(tc.in)); got != tc.want {
			t.Errorf("%s: %s gave %s, want %s", tc.why, tc.in, got, tc.want)
		}
	}
}

// FuzzFormatIP: the text parses back to the same address.
func FuzzFormatIP(f *testing.F) {
	f.Add([]byte("\x20\x01\x0d\xb8\x00\x01\x00\x01\x00\x01\x00\x01\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 16 {
			return
		}
		a := netip.AddrFrom16([16]byte(b))
		s := FormatIP(a)
		back, err := netip.ParseAddr(s)
		if err != nil || back != a.Unmap() {
			t.Fatalf("%v formatted as %q parses back as %v, %v", a, s, back, err)
		}
	})
}
