package dnsclient

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"
)

// MaxServers bounds the server list, as djbdns keeps at most 16 caches.
const MaxServers = 16

// MaxCNAME bounds the CNAME links followed for one lookup.
const MaxCNAME = 8

// DefaultTimeouts is the per-try schedule: every server is tried with the
// first timeout, then every server with the second, and so on (djbdns's
// dns_transmit schedule).
var DefaultTimeouts = []time.Duration{1 * time.Second, 3 * time.Second, 11 * time.Second, 45 * time.Second}

// Resolver sends queries to a fixed list of recursive servers.
type Resolver struct {
	servers []string

	// Search is the list of domains Qualify appends to a dotless name.
	Search []string

	// Timeouts is the per-try schedule; nil means DefaultTimeouts. The
	// context given to a lookup bounds the whole lookup in any case.
	Timeouts []time.Duration
}

// New returns a resolver asking servers, each "ip:port" ("[v6]:port" for
// IPv6); a bare IP address means port 53.
func New(servers []string) *Resolver {
	r := &Resolver{}
	for _, s := range servers {
		if ap, err := parseServer(s); err == nil {
			r.servers = append(r.servers, ap.String())
		} else {
			r.servers = append(r.servers, s) // reported when dialled
		}
	}
	return r
}

// Servers returns the "ip:port" addresses the resolver asks, in order.
func (r *Resolver) Servers() []string { return append([]string(nil), r.servers...) }

// FromEnv configures a resolver the way djbdns's dns_rcip and dns_rcrw do,
// with lookup reading the program's environment:
//
//   - $DNSCACHEIP, when it holds at least one address, lists the servers,
//     separated by spaces, tabs or commas. As a quail extension an entry may
//     carry a port, "127.0.0.1:5353" or "[::1]:5353", so that tests and
//     unprivileged setups can run a cache on a high port; without one the
//     port is 53. An entry that is neither form is an error (djbdns silently
//     stops reading at it).
//   - Otherwise the "nameserver" lines of /etc/resolv.conf; otherwise
//     127.0.0.1.
//   - $LOCALDOMAIN (space-separated domains) sets Search, else the "search"
//     or "domain" line of /etc/resolv.conf. The lookups themselves never use
//     it; only Qualify does. $DNSREWRITEFILE is not supported.
func FromEnv(lookup func(string) (string, bool)) (*Resolver, error) {
	return fromEnv(lookup, "/etc/resolv.conf")
}

func fromEnv(lookup func(string) (string, bool), resolvConf string) (*Resolver, error) {
	r := &Resolver{}
	if v, ok := lookup("DNSCACHEIP"); ok {
		s, err := ParseServers(v)
		if err != nil {
			return nil, fmt.Errorf("DNSCACHEIP: %w", err)
		}
		r.servers = s
	}
	var confServers, confSearch []string
	if len(r.servers) == 0 || !hasEnv(lookup, "LOCALDOMAIN") {
		var err error
		confServers, confSearch, err = readResolvConf(resolvConf)
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	if len(r.servers) == 0 {
		r.servers = confServers
	}
	if len(r.servers) == 0 {
		r.servers = []string{"127.0.0.1:53"}
	}
	if v, ok := lookup("LOCALDOMAIN"); ok {
		r.Search = strings.Fields(v)
	} else {
		r.Search = confSearch
	}
	return r, nil
}

func hasEnv(lookup func(string) (string, bool), key string) bool {
	_, ok := lookup(key)
	return ok
}

// ParseServers reads a $DNSCACHEIP value: addresses, each optionally with a
// port, separated by spaces, tabs or commas. At most MaxServers are kept.
func ParseServers(v string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(c rune) bool {
		return c == ' ' || c == '\t' || c == ',' || c == '\n'
	}) {
		ap, err := parseServer(f)
		if err != nil {
			return nil, err
		}
		if len(out) < MaxServers {
			out = append(out, ap.String())
		}
	}
	return out, nil
}

func parseServer(s string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a.Unmap(), 53), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("not an address or address:port: %q", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// readResolvConf returns the nameserver addresses (port 53) and the search
// list of a resolv.conf file. Unreadable or odd lines are skipped, as every
// libc resolver does.
func readResolvConf(path string) (servers, search []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], ";") {
			continue
		}
		switch fields[0] {
		case "nameserver":
			if a, perr := netip.ParseAddr(fields[1]); perr == nil && len(servers) < MaxServers {
				servers = append(servers, netip.AddrPortFrom(a.Unmap(), 53).String())
			}
		case "domain":
			search = fields[1:2]
		case "search":
			search = fields[1:]
		}
	}
	return servers, search, sc.Err()
}

// Qualify returns the names to try for a name typed by a person: a name
// ending in a dot, or containing one, is taken as it is (without the
// trailing dot); a dotless name is tried under each Search domain in turn,
// then alone. This is the common case of djbdns's dns_ip4_qualify without a
// rewrite file.
func (r *Resolver) Qualify(name string) []string {
	if strings.HasSuffix(name, ".") {
		return []string{strings.TrimSuffix(name, ".")}
	}
	if strings.Contains(name, ".") || name == "" {
		return []string{name}
	}
	var out []string
	for _, d := range r.Search {
		out = append(out, name+"."+strings.Trim(d, "."))
	}
	return append(out, name)
}
