package tcpenv

import (
	"net"
	"net/netip"
	"syscall"
)

// FromSockaddr converts a socket address to an AddrPort, the zero one for
// a socket that is not TCP/IP. A v4-mapped address stays mapped (Info
// decides how to show it); a link-local IPv6 address gets its interface's
// name as zone, for TCP6INTERFACE.
func FromSockaddr(sa syscall.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *syscall.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		if a.ZoneId != 0 && ip.IsLinkLocalUnicast() {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ip = ip.WithZone(ifi.Name)
			}
		}
		return netip.AddrPortFrom(ip, uint16(a.Port))
	}
	return netip.AddrPort{}
}
