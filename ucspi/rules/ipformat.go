package rules

import (
	"net/netip"
	"strconv"
	"strings"
)

// FormatIP writes an address the way ucspi-tcp-ipv6's tcpserver puts it in
// TCPREMOTEIP and looks it up in the rules: IPv4 and v4-mapped IPv6 as a
// dotted quad; other IPv6 in lowercase hex groups without leading zeros, the
// longest run of zero groups (the first of equal runs, even a run of one)
// written as "::". That last point is where it parts from RFC 5952 and Go's
// netip: 2001:db8:1:1:1:1:0:1 is "2001:db8:1:1:1:1::1" here. The zone is
// dropped. Rules are keyed by this text, so a caller should build
// Query.IP with it.
func FormatIP(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if !a.Is6() {
		return a.String()
	}
	b := a.As16()
	var g [8]uint16
	for i := range g {
		g[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	start, length := -1, 0
	for i := 0; i < 8; {
		if g[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && g[j] == 0 {
			j++
		}
		if j-i > length {
			start, length = i, j-i
		}
		i = j
	}
	hex := func(gs []uint16) string {
		parts := make([]string, len(gs))
		for i, x := range gs {
			parts[i] = strconv.FormatUint(uint64(x), 16)
		}
		return strings.Join(parts, ":")
	}
	if start < 0 {
		return hex(g[:])
	}
	return hex(g[:start]) + "::" + hex(g[start+length:])
}
