package send

import (
	"strings"
)

// Channel is where a recipient is delivered.
type Channel int

// The two channels of qmail-send.
const (
	Local Channel = iota
	Remote
)

func (c Channel) String() string {
	if c == Local {
		return "local"
	}
	return "remote"
}

// Router decides, with qmail-send(8)'s rules, whether a recipient is
// local or remote and which address the delivery gets.
type Router struct {
	Locals      map[string]bool   // control/locals, lowercased
	Percenthack map[string]bool   // control/percenthack, lowercased
	Virtual     map[string]string // control/virtualdomains, keys lowercased
	NoAtHost    string            // control/envnoathost
}

// SplitAddr splits an address at its last '@'; without one the domain is
// empty and hasAt false.
func SplitAddr(addr string) (local, domain string, hasAt bool) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr, "", false
	}
	return addr[:i], addr[i+1:], true
}

// ParseVirtualDomains reads control/virtualdomains lines
// ("domain:prepend", ".suffix:prepend", "user@domain:prepend", or with an
// empty prepend, an exception that stays remote). The part before the
// first ':' is the key; lines without ':' are ignored, as qmail ignores
// them. Keys are compared without regard to case; the first line for a
// key wins.
func ParseVirtualDomains(lines []string) map[string]string {
	m := map[string]string{}
	for _, l := range lines {
		i := strings.IndexByte(l, ':')
		if i < 0 {
			continue
		}
		k := strings.ToLower(l[:i])
		if _, dup := m[k]; !dup {
			m[k] = l[i+1:]
		}
	}
	return m
}

// Route returns the channel of a recipient and the address to deliver.
//
//   - An address without '@' gets "@" and control/envnoathost.
//   - While the domain is listed in control/percenthack and the local part
//     holds a '%', the last '%' becomes the '@'.
//   - A domain listed in control/locals is local, the address unchanged.
//   - control/virtualdomains is searched for the whole address, then the
//     domain, then each ".suffix" of the domain from the longest, then the
//     empty key: a match with prepend P makes the address P-local@domain
//     and local; a match with an empty prepend makes it remote.
//   - Everything else is remote.
func (r *Router) Route(addr string) (Channel, string) {
	if _, _, ok := SplitAddr(addr); !ok {
		addr = addr + "@" + r.NoAtHost
	}
	for n := 0; n < 100; n++ {
		local, domain, _ := SplitAddr(addr)
		if !r.Percenthack[strings.ToLower(domain)] {
			break
		}
		i := strings.LastIndexByte(local, '%')
		if i < 0 {
			break
		}
		addr = local[:i] + "@" + local[i+1:]
	}
	_, domain, _ := SplitAddr(addr)
	ldomain := strings.ToLower(domain)
	if r.Locals[ldomain] {
		return Local, addr
	}
	for _, k := range vdKeys(strings.ToLower(addr), ldomain) {
		if p, ok := r.Virtual[k]; ok {
			if p == "" {
				return Remote, addr
			}
			return Local, p + "-" + addr
		}
	}
	return Remote, addr
}

func vdKeys(laddr, ldomain string) []string {
	keys := []string{laddr, ldomain}
	for i := 0; i < len(ldomain); i++ {
		if ldomain[i] == '.' {
			keys = append(keys, ldomain[i:])
		}
	}
	return append(keys, "")
}
