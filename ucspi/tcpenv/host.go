package tcpenv

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/djberr"
)

// Resolver looks host names up (dnsclient.Resolver is one).
type Resolver interface {
	IP(ctx context.Context, name string) ([]netip.Addr, error)
	Qualify(name string) []string
}

// HostError is a host argument of tcpserver or tcpclient that gave no
// address, worded as the originals word it.
type HostError struct {
	Host string
	// Err is nil when the host has no address (a name that does not
	// exist, a text that is no address): "no IP address for HOST".
	// Otherwise it is the temporary failure: "temporarily unable to
	// figure out IP address for HOST: cause".
	Err error
}

func (e *HostError) Error() string {
	if e.Err == nil {
		return "no IP address for " + e.Host
	}
	return "temporarily unable to figure out IP address for " + e.Host + ": " + dnsCause(e.Err)
}

func (e *HostError) Unwrap() error { return e.Err }

// HostAddrs is the addresses of a host argument of tcpserver or tcpclient
// (other than "" and "0", which each program gives its own meaning), read
// as the IPv6 patch's dns_ip6_qualify reads it (Debian's ucspi-tcp-ipv6,
// dns_ipq6.c, dns_ip6.c, ip6_scan.c, ip4_scan.c):
//
//   - one trailing dot is dropped (the "*.:" rewriting rule every
//     configuration has), so "127.0.0.1." is 127.0.0.1;
//   - an IPv4 address is four decimal numbers, leading zeros allowed:
//     127.000.000.001 is 127.0.0.1; an IPv6 address may end in one;
//   - an address followed by more text ("1.2.3.4x", "::1 ", "1.2.3.4.5")
//     fails as the original's scanner fails it: a temporary failure whose
//     cause is the errno left over, which on a machine without
//     /etc/dnsrewrite is "file does not exist";
//   - a text of digits, dots and brackets only is read by djb's loop that
//     skips brackets and makes a byte of each dotted number, which for an
//     IPv6 client leaves no address: "[127.0.0.1]" and "127.1" have "no
//     IP address";
//   - anything else is a name, qualified and looked up, its IPv6
//     addresses first; a name that does not exist has no IP address.
//
// Beyond the original: every address netip reads is taken as it is (the
// original's scanner stops early in "1::", "::" and "fe80::1%eth0"); a
// number too big for its field, which the original silently cuts to its
// low bits (300.1.1.1 is 44.1.1.1 there), makes no address.
// v4-mapped addresses come back as IPv4 ones.
func HostAddrs(ctx context.Context, host string, r Resolver) ([]netip.Addr, error) {
	h := strings.TrimSuffix(host, ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	if n, ip, fits := scanIP6(h); n > 0 {
		switch {
		case n < len(h):
			return nil, &HostError{host, syscall.ENOENT}
		case !fits:
			return nil, &HostError{host, nil}
		}
		return []netip.Addr{netip.AddrFrom16(ip).Unmap()}, nil
	}
	if strings.Trim(h, "0123456789.[]") == "" {
		if addrs := digitLoop(h); len(addrs) > 0 {
			return addrs, nil
		}
		return nil, &HostError{host, nil}
	}
	if r == nil {
		return nil, &HostError{host, nil}
	}
	names := []string{h}
	// The "?" rule qualifies only a name without '.', ':', '[' or ']'.
	if !strings.ContainsAny(h, ".:[]") {
		names = r.Qualify(h)
	}
	for _, name := range names {
		addrs, err := r.IP(ctx, name)
		switch {
		case err == nil && len(addrs) > 0:
			// The IPv6 patch asks for AAAA records first, then A.
			var v6, v4 []netip.Addr
			for _, a := range addrs {
				if a = a.Unmap(); a.Is4() {
					v4 = append(v4, a)
				} else {
					v6 = append(v6, a)
				}
			}
			return append(v6, v4...), nil
		case err != nil && dnsclient.IsTemporary(err):
			return nil, &HostError{host, err}
		}
	}
	return nil, &HostError{host, nil}
}

// digitLoop is dns_ip6's reading of a text of digits, dots and brackets:
// brackets are skipped, each dot (and the end) closes a byte made of the
// digits before it (modulo 256, as C's char arithmetic does), whole
// groups of four bytes are kept, and each 16 of them is an address.
func digitLoop(s string) []netip.Addr {
	var b []byte
	var code byte
	for i := 0; i <= len(s); i++ {
		ch := byte('.')
		if i < len(s) {
			ch = s[i]
		}
		switch {
		case ch == '[' || ch == ']':
		case ch == '.':
			b = append(b, code)
			code = 0
		default:
			code = code*10 + (ch - '0')
		}
	}
	b = b[:len(b)&^3]
	var out []netip.Addr
	for ; len(b) >= 16; b = b[16:] {
		out = append(out, netip.AddrFrom16([16]byte(b[:16])).Unmap())
	}
	return out
}

// dnsCause words a temporary lookup failure as djbdns leaves errno: a
// server failure is EAGAIN (dns_transmit's serverfailed), no answer in
// time ETIMEDOUT, an answer that cannot be read EPROTO; a failing socket
// its own errno.
func dnsCause(err error) string {
	var no syscall.Errno
	switch {
	case errors.As(err, &no):
		return djberr.Str(no)
	case errors.Is(err, dnsclient.ErrServerFailure):
		return djberr.Str(syscall.EAGAIN)
	case errors.Is(err, dnsclient.ErrNoAnswer):
		return djberr.Str(syscall.ETIMEDOUT)
	case errors.Is(err, dnsclient.ErrCNAMELoop):
		return djberr.Str(syscall.EPROTO)
	}
	return djberr.Text(err)
}

// scanIP4 is djb's ip4_scan: four decimal numbers joined by dots at the
// start of s, leading zeros allowed. It returns how many bytes it read (0
// for none), the address, and whether every number fit in its byte.
func scanIP4(s string) (n int, ip [4]byte, fits bool) {
	fits = true
	for k := 0; k < 4; k++ {
		if k > 0 {
			if n >= len(s) || s[n] != '.' {
				return 0, ip, fits
			}
			n++
		}
		d, v := scanNumber(s[n:], 10)
		if d == 0 {
			return 0, ip, fits
		}
		if v > 255 {
			fits = false
		}
		ip[k] = byte(v)
		n += d
	}
	return n, ip, fits
}

// scanIP6 is the IPv6 patch's ip6_scan: an IPv4 address (as v4-mapped),
// or up to eight hexadecimal groups with at most one "::" and perhaps an
// IPv4 address for the last 32 bits, at the start of s. It returns how
// many bytes the original counts as read (0 for none; its count after
// "::" is one short when nothing follows, which is why "1::" fails
// there), the address, and whether every number fit in its field.
func scanIP6(s string) (n int, ip [16]byte, fits bool) {
	if n4, ip4, fits4 := scanIP4(s); n4 > 0 {
		return n4, netip.AddrFrom4(ip4).As16(), fits4
	}
	fits = true
	pos, length, prefix := 0, 0, 0
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for {
		if at(pos) == ':' {
			length++
			if at(pos+1) == ':' {
				pos += 2
				length++
				break
			}
			pos++
		}
		d, u := scanNumber(s[pos:], 16)
		if d == 0 {
			return 0, ip, fits
		}
		if prefix == 12 && at(pos+d) == '.' {
			n4, ip4, fits4 := scanIP4(s[pos:])
			if n4 == 0 {
				return 0, ip, fits
			}
			copy(ip[12:], ip4[:])
			return n4 + length, ip, fits && fits4
		}
		if u > 0xffff {
			fits = false
		}
		ip[prefix], ip[prefix+1] = byte(u>>8), byte(u)
		prefix += 2
		pos += d
		length += d
		if prefix == 16 {
			return length, ip, fits
		}
	}
	var suffix [16]byte
	n6 := 0
	for {
		if at(pos) == ':' {
			if n6 == 0 {
				break
			}
			pos++
			length++
		} else if n6 != 0 {
			break
		}
		d, u := scanNumber(s[pos:], 16)
		if d == 0 {
			length--
			break
		}
		if n6+prefix <= 12 && at(pos+d) == '.' {
			if n4, ip4, fits4 := scanIP4(s[pos:]); n4 > 0 {
				copy(suffix[n6:], ip4[:])
				n6 += 4
				length += n4
				fits = fits && fits4
				break
			}
			prefix = 12 - n6 // the original's way to end the loop below
		}
		if u > 0xffff {
			fits = false
		}
		suffix[n6], suffix[n6+1] = byte(u>>8), byte(u)
		n6 += 2
		pos += d
		length += d
		if prefix+n6 == 16 {
			break
		}
	}
	copy(ip[16-n6:], suffix[:n6])
	return length, ip, fits
}

// scanNumber reads the digits of base 10 or 16 at the start of s, as
// scan_ulong and scan_xlong do; the value saturates instead of wrapping.
func scanNumber(s string, base uint64) (n int, v uint64) {
	for ; n < len(s); n++ {
		c := s[n]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return n, v
		}
		if v < 1<<56 {
			v = v*base + d
		}
	}
	return n, v
}
