package remote

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// Routes is a parsed control/smtproutes or control/qmtproutes
// (qmail-control(5), qmail-remote(8)): lines "domain:relay", where domain
// is a host name matched exactly, ".domain" matches every host under it,
// and an empty domain matches every host.
type Routes struct {
	byKey map[string]string // lower-case key to the text after the first ':'
}

// ParseRoutes reads the lines of a routes file (comments and blank lines
// already dropped by control.Lines). A line without ':' is ignored, as
// qmail's constmap does. When a key appears twice the first line wins.
func ParseRoutes(lines []string) Routes {
	r := Routes{byKey: map[string]string{}}
	for _, line := range lines {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(key)
		if _, dup := r.byKey[key]; !dup {
			r.byKey[key] = val
		}
	}
	return r
}

// Lookup finds the route for host the way qmail-remote walks it: the
// whole name, then each suffix starting at a dot (".example.com"), then
// the empty key.
func (r Routes) Lookup(host string) (string, bool) {
	if len(r.byKey) == 0 {
		return "", false
	}
	for _, key := range suffixes(strings.ToLower(host)) {
		if v, ok := r.byKey[key]; ok {
			return v, true
		}
	}
	return "", false
}

// suffixes lists host, every tail of it that starts with a dot, and "".
func suffixes(host string) []string {
	out := []string{host}
	for i := 1; i < len(host); i++ {
		if host[i] == '.' {
			out = append(out, host[i:])
		}
	}
	if host != "" {
		out = append(out, "")
	}
	return out
}

// Relay is the right-hand side of a route: "relay[:port][|user|password]".
type Relay struct {
	Host string // name, "[1.2.3.4]" or a bare IP; "" means deliver by MX
	Port int    // 0: the protocol's default
	User string // AUTH credentials (smtproutes only); empty: no AUTH
	Pass string
}

// ErrBadRoute reports a route whose port is not a number in 1-65535 or
// whose bracketed address is not closed.
var ErrBadRoute = errors.New("bad route")

// ParseRelay reads a route's right-hand side. An IPv6 relay is written in
// brackets, "[2001:db8::1]:2525", so that its colons do not end the host.
func ParseRelay(v string) (Relay, error) {
	var r Relay
	hostport, cred, hasCred := strings.Cut(v, "|")
	if hasCred {
		r.User, r.Pass, _ = strings.Cut(cred, "|")
	}
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return Relay{}, ErrBadRoute
		}
		host = hostport[:end+1]
		rest := hostport[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return Relay{}, ErrBadRoute
			}
			port = rest[1:]
		}
	} else if h, p, ok := strings.Cut(hostport, ":"); ok {
		host, port = h, p
	}
	r.Host = strings.TrimSpace(host)
	if port = strings.TrimSpace(port); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Relay{}, ErrBadRoute
		}
		r.Port = n
	}
	return r, nil
}

// ParseLiteral reads a host given as an address: "[1.2.3.4]",
// "[IPv6:2001:db8::1]" (RFC 5321 section 4.1.3), "[2001:db8::1]" or a bare
// address.
func ParseLiteral(host string) (netip.Addr, bool) {
	s := host
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
		if len(s) > 5 && strings.EqualFold(s[:5], "IPv6:") {
			s = s[5:]
		}
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}
