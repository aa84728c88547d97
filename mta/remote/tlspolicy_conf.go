package remote

import (
	"fmt"
	"strings"
)

// Policies says which of DANE and MTA-STS qmail-remote applies to a
// destination.
type Policies struct {
	DANE bool // RFC 7672, when the MX answer is authenticated
	STS  bool // RFC 8461
}

func (p Policies) any() bool { return p.DANE || p.STS }

// PolicyTable is a parsed control/tlspolicy: lines "domain:policies",
// the domain matched as in smtproutes (a host, ".domain" for the hosts
// under it, an empty domain for every destination; the most specific
// line wins), policies a comma-separated list of "dane" and "sts", or
// "none" for neither:
//
//	:dane,sts
//	.intranet.example:none
//
// Without the file, or for a destination no line matches, qmail-remote
// does as qmail does: neither. The policies apply to deliveries by MX
// only; a relay from smtproutes or qmtproutes is the administrator's own
// choice of host and keeps control/tlsdestinations alone.
type PolicyTable struct {
	r Routes
}

// ParsePolicyTable reads the lines of control/tlspolicy. A line whose
// policies are not all known is an error: a mistyped word must not
// silently turn a policy off.
func ParsePolicyTable(lines []string) (PolicyTable, error) {
	r := ParseRoutes(lines)
	for key, v := range r.byKey {
		if _, err := parsePolicies(v); err != nil {
			return PolicyTable{}, fmt.Errorf("control/tlspolicy: %q: %w", key, err)
		}
	}
	return PolicyTable{r}, nil
}

func parsePolicies(v string) (Policies, error) {
	var p Policies
	for _, w := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(w)) {
		case "dane":
			p.DANE = true
		case "sts":
			p.STS = true
		case "none", "":
		default:
			return Policies{}, fmt.Errorf("unknown policy %q", strings.TrimSpace(w))
		}
	}
	return p, nil
}

// Lookup returns the policies for a recipient domain.
func (t PolicyTable) Lookup(domain string) Policies {
	v, ok := t.r.Lookup(domain)
	if !ok {
		return Policies{}
	}
	p, _ := parsePolicies(v) // checked by ParsePolicyTable
	return p
}
