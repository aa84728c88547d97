// Package ipme lists the addresses that are this host, as qmail's ipme.c
// collects them: for qmail-remote's rule against delivering to itself (an
// exchanger that is this host ends the list of exchangers tried) and for
// ipmeprint, which shows them. They are, in this order:
//
//   - 0.0.0.0, which "always refers to this host" (RFC 1122 section
//     3.2.1.3; netqmail 1.05 added it to qmail 1.03's list), and its IPv6
//     twin ::;
//   - the addresses of every interface that is up (qmail 1.03 asks
//     SIOCGIFCONF and keeps the IPv4 addresses of interfaces with IFF_UP;
//     the IPv6 ones are kept too, as qmail-remote here also connects over
//     IPv6);
//   - the addresses in control/moreipme, one a line (the moreipme patch
//     found in Spamcontrol-era installations): addresses the host
//     answers on without having them on an interface, such as a NAT's
//     outside address. A line that is not an address is skipped.
package ipme

import (
	"net"
	"net/netip"

	"github.com/quail-mta/quail/mta/control"
)

// List returns this host's addresses in the order above, each once, with
// more (control/moreipme's addresses) last. The error is that of listing
// the interfaces; the addresses found before it are returned with it.
func List(more []netip.Addr) ([]netip.Addr, error) {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	add := func(a netip.Addr) {
		a = a.Unmap().WithZone("")
		if a.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	add(netip.IPv4Unspecified())
	add(netip.IPv6Unspecified())
	ifs, err := net.Interfaces()
	if err == nil {
		for _, ifi := range ifs {
			if ifi.Flags&net.FlagUp == 0 {
				continue
			}
			addrs, aerr := ifi.Addrs()
			if aerr != nil {
				err = aerr
				continue
			}
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					if ip, ok := netip.AddrFromSlice(n.IP); ok {
						add(ip)
					}
				}
			}
		}
	}
	for _, a := range more {
		add(a)
	}
	return out, err
}

// Set is List as a set, for lookups.
func Set(list []netip.Addr) map[netip.Addr]bool {
	m := make(map[netip.Addr]bool, len(list))
	for _, a := range list {
		m[a] = true
	}
	return m
}

// ReadMore reads control/moreipme: one address a line, IPv4 or IPv6;
// lines that are not an address are skipped. A missing file is no
// addresses.
func ReadMore(dir control.Dir) ([]netip.Addr, error) {
	lines, err := dir.Lines("moreipme")
	if err != nil {
		return nil, err
	}
	return ParseMore(lines), nil
}

// ParseMore is the addresses of control/moreipme's lines, v4-mapped ones
// as IPv4, zones dropped; a line that is not an address is skipped.
func ParseMore(lines []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range lines {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a.Unmap().WithZone(""))
		}
	}
	return out
}
