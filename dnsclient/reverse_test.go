package dnsclient

import (
	"net/netip"
	"strings"
	"testing"
)

func TestReverse(t *testing.T) {
	tests := []struct {
		why, ip, want, name string
	}{
		{"IPv4 octets reversed", "192.0.2.1", "1.2.0.192", "1.2.0.192.in-addr.arpa"},
		{"v4-mapped is taken as IPv4", "::ffff:127.0.0.2", "2.0.0.127", "2.0.0.127.in-addr.arpa"},
		{"IPv6 in 32 nibbles, low first", "2001:db8::1",
			"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
			"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
		{"IPv6 with every nibble", "0123:4567:89ab:cdef:0123:4567:89ab:cdef",
			strings.Repeat("f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.", 2)[:63],
			strings.Repeat("f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.", 2) + "ip6.arpa"},
	}
	for _, tc := range tests {
		ip := netip.MustParseAddr(tc.ip)
		if got := Reverse(ip); got != tc.want {
			t.Errorf("%s: Reverse=%q, want %q", tc.why, got, tc.want)
		}
		if got := ReverseName(ip); got != tc.name {
			t.Errorf("%s: ReverseName=%q, want %q", tc.why, got, tc.name)
		}
	}
	if Reverse(netip.Addr{}) != "" {
		t.Error("the zero Addr has no reverse name")
	}
}
