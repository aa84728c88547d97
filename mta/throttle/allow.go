package throttle

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseAllow reads control/throttleallow: one entry a line, an address
// ("192.0.2.7", "2001:db8::1"), a prefix ("192.0.2.0/24",
// "2001:db8::/48"), or the tcprules form of an IPv4 prefix, whole
// octets ending in a dot ("10.", "192.0.2."). Empty lines and lines
// starting with "#" are skipped, and so is space around an entry. Lines
// in none of these forms are left out; the error names the first.
func ParseAllow(text string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad error
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		p, ok := parseEntry(line)
		if !ok {
			if bad == nil {
				bad = fmt.Errorf("%w: line %d: %q", ErrBadAllow, i+1, truncate(line, 60))
			}
			continue
		}
		out = append(out, p)
	}
	return out, bad
}

func parseEntry(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(p.Addr().Unmap(), unmappedBits(p)).Masked(), true
	}
	if strings.HasSuffix(s, ".") {
		// tcprules: "10." is 10.0.0.0/8, "192.0.2." 192.0.2.0/24.
		octets := strings.Split(strings.TrimSuffix(s, "."), ".")
		if len(octets) > 3 {
			return netip.Prefix{}, false
		}
		var b [4]byte
		for i, o := range octets {
			n, err := strconv.Atoi(o)
			if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != o {
				return netip.Prefix{}, false
			}
			b[i] = byte(n)
		}
		return netip.PrefixFrom(netip.AddrFrom4(b), 8*len(octets)), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// unmappedBits is p's length once an IPv4-mapped address is unmapped.
func unmappedBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		return max(p.Bits()-96, 0)
	}
	return p.Bits()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
