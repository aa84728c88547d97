package tcpserver

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"testing"
)

// fakeLookup answers IP with fixed addresses per name.
type fakeLookup map[string][]netip.Addr

func (f fakeLookup) IP(_ context.Context, name string) ([]netip.Addr, error) {
	if a, ok := f[name]; ok {
		return a, nil
	}
	return nil, errors.New("no such name")
}

func (f fakeLookup) Qualify(name string) []string { return []string{name} }

func TestListenAddr(t *testing.T) {
	names := fakeLookup{
		"both.test": {netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.1")},
		"six.test":  {netip.MustParseAddr("2001:db8::2")},
	}
	for _, tc := range []struct {
		host   string
		v4only bool
		want   string
		dual   bool
		ok     bool
		why    string
	}{
		{"0", false, "::", true, true, "0 is every address of both families"},
		{"", false, "::", true, true, "so is the empty host"},
		{"0", true, "0.0.0.0", false, true, "-4 keeps to IPv4"},
		{"::", false, "::", false, true, ":: is every IPv6 address only (our extension)"},
		{"127.0.0.1", false, "127.0.0.1", false, true, "an IPv4 address"},
		{"::ffff:127.0.0.1", false, "127.0.0.1", false, true, "a v4-mapped address binds the IPv4 one"},
		{"::1", true, "", false, false, "-4 refuses an IPv6 address"},
		{"both.test", false, "2001:db8::1", false, true, "a name's first address"},
		{"both.test", true, "192.0.2.1", false, true, "under -4, its first IPv4 address"},
		{"six.test", true, "", false, false, "a name without IPv4 under -4"},
		{"none.test", false, "", false, false, "a name that does not resolve"},
	} {
		a, dual, err := ListenAddr(context.Background(), tc.host, tc.v4only, names)
		if (err == nil) != tc.ok || (tc.ok && (a.String() != tc.want || dual != tc.dual)) {
			t.Errorf("%s: ListenAddr(%q, -4=%v) = %v, %v, %v", tc.why, tc.host, tc.v4only, a, dual, err)
		}
	}
}

func FuzzListenAddr(f *testing.F) {
	for _, s := range []string{"0", "", "::", "127.0.0.1", "fe80::1%eth0", "name.test", "1.2.3.4.5"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, host string, v4only bool) {
		a, _, err := ListenAddr(context.Background(), host, v4only, fakeLookup{})
		if err == nil && v4only && !a.Is4() {
			t.Fatalf("-4 gave %v for %q", a, host)
		}
	})
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"25", "smtp", "0", "65536", "-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePort(s)
		if n, nerr := strconv.ParseUint(s, 10, 16); nerr == nil && (err != nil || uint64(p) != n) {
			t.Fatalf("parsePort(%q) = %d, %v; want %d", s, p, err, n)
		}
	})
}
