package rules

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// CIDR rules are our extension; 0.88 has none. A rule "a.b.c.d/n" or
// "ipv6addr/n" is stored under the key "\n" + the masked prefix in Go's
// canonical text (dotted quad, or RFC 5952 IPv6) + "/" + n, for example
// "\n10.0.0.0/8" or "\n2001:db8::/32". A 0.88 key is a part of one text
// line, so it never holds a newline, and these keys cannot collide with one.
//
// The key "\n" alone is the index: one NUL-terminated record "4/n" or "6/n"
// for each prefix length used, so a lookup probes only the lengths that
// exist, and a cdb without CIDR rules costs one probe. tcprules writes the
// index last, after every rule.
const cidrIndexKey = "\n"

// cidrKey is the cdb key of a masked prefix.
func cidrKey(p netip.Prefix) string {
	return "\n" + p.Masked().String()
}

// parseCIDR reads an address of the form ADDR/N. ok is false when address
// is not CIDR-shaped: anything but hex digits, '.' and ':' before one '/'
// and decimal digits after it. Such an address stays a verbatim key, as in
// 0.88. err is set when it is CIDR-shaped but invalid (10.0.0.0/33).
func parseCIDR(address string) (p netip.Prefix, ok bool, err error) {
	slash := strings.IndexByte(address, '/')
	if slash <= 0 || slash == len(address)-1 ||
		strings.Trim(address[:slash], "0123456789abcdefABCDEF.:") != "" ||
		strings.Trim(address[slash+1:], "0123456789") != "" {
		return netip.Prefix{}, false, nil
	}
	addr, err := netip.ParseAddr(address[:slash])
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, true, fmt.Errorf("bad CIDR address %q", address[:slash])
	}
	digits := address[slash+1:]
	if digits == "" || len(digits) > 3 || strings.TrimLeft(digits, "0123456789") != "" {
		return netip.Prefix{}, true, fmt.Errorf("bad CIDR prefix length %q", digits)
	}
	n, _ := strconv.Atoi(digits)
	if n > addr.BitLen() {
		return netip.Prefix{}, true, fmt.Errorf("CIDR prefix length %d too long", n)
	}
	return netip.PrefixFrom(addr, n).Masked(), true, nil
}

// cidrIndex renders the index value for the prefixes in use.
func cidrIndex(used map[netip.Prefix]bool) []byte {
	type fl struct{ fam, bits int }
	seen := map[fl]bool{}
	for p := range used {
		fam := 6
		if p.Addr().Is4() {
			fam = 4
		}
		seen[fl{fam, p.Bits()}] = true
	}
	list := make([]fl, 0, len(seen))
	for k := range seen {
		list = append(list, k)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].fam != list[j].fam {
			return list[i].fam < list[j].fam
		}
		return list[i].bits > list[j].bits
	})
	var b []byte
	for _, k := range list {
		b = fmt.Appendf(b, "%d/%d\x00", k.fam, k.bits)
	}
	return b
}

// parseCIDRIndex returns the prefix lengths the index lists for one family,
// longest first. Malformed records are skipped.
func parseCIDRIndex(idx []byte, is4 bool) []int {
	want, max := "6/", 128
	if is4 {
		want, max = "4/", 32
	}
	var bits []int
	for _, rec := range records(idx) {
		s := string(rec)
		if !strings.HasPrefix(s, want) {
			continue
		}
		n, err := strconv.Atoi(s[2:])
		if err != nil || n < 0 || n > max {
			continue
		}
		bits = append(bits, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(bits)))
	return bits
}
