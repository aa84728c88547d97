package remote

import "strings"

// TLSMode says what a destination needs of STARTTLS.
type TLSMode int

const (
	// TLSOpportunistic uses STARTTLS when offered, without checking the
	// certificate, and falls back to plain text when the handshake fails.
	TLSOpportunistic TLSMode = iota
	// TLSOff never uses STARTTLS.
	TLSOff
	// TLSRequired defers the message unless STARTTLS succeeds; the
	// certificate is not checked.
	TLSRequired
	// TLSVerify also requires a certificate chain that verifies against
	// the CA file given (or the system's roots).
	TLSVerify
	// TLSVerifyName also requires the certificate to name the host
	// connected to (the MX or relay name).
	TLSVerifyName
)

func (m TLSMode) required() bool { return m >= TLSRequired }

// TLSPolicy is one destination's entry of control/tlsdestinations.
type TLSPolicy struct {
	Mode   TLSMode
	CAFile string // for TLSVerify and TLSVerifyName; "" means the system roots
}

// TLSDestinations is a parsed control/tlsdestinations, in the syntax of
// s/qmail's file, of which it takes a subset. Each line is
// "[prefix]domain:[cafile]", the domain matched like smtproutes (a host,
// ".domain" for the hosts under it) or "*" for every destination:
//
//	!domain:          never STARTTLS
//	-domain:          TLS required, certificate not checked
//	domain:[cafile]   TLS required, chain verified against cafile
//	=domain:[cafile]  TLS required, chain and host name verified
//	=*: +*: -*:       the same three for every destination
//	*: -:             opportunistic (what quail does without the file)
//
// The entry field may go on, as in s/qmail, with "|ciphers|..." or
// ";depth;port"; quail reads only the CA file before those. Lookup order is
// s/qmail's: every "!" form, "=" forms, plain forms, "-" forms, then the
// "*" lines.
type TLSDestinations struct {
	m map[string]string
}

// ParseTLSDestinations reads the lines of control/tlsdestinations.
func ParseTLSDestinations(lines []string) TLSDestinations {
	return TLSDestinations{ParseRoutes(lines).byKey}
}

// Lookup returns the policy for host (the relay from smtproutes, or the
// recipient domain).
func (d TLSDestinations) Lookup(host string) TLSPolicy {
	if len(d.m) == 0 {
		return TLSPolicy{}
	}
	host = strings.ToLower(host)
	var names []string
	for _, s := range suffixes(host) {
		if s != "" {
			names = append(names, s)
		}
	}
	find := func(prefix string) (string, bool) {
		for _, n := range names {
			if v, ok := d.m[prefix+n]; ok {
				return v, true
			}
		}
		return "", false
	}
	if _, ok := find("!"); ok {
		return TLSPolicy{Mode: TLSOff}
	}
	if v, ok := find("="); ok {
		return TLSPolicy{Mode: TLSVerifyName, CAFile: caField(v)}
	}
	if v, ok := find(""); ok {
		return TLSPolicy{Mode: TLSVerify, CAFile: caField(v)}
	}
	if _, ok := find("-"); ok {
		return TLSPolicy{Mode: TLSRequired}
	}
	if v, ok := d.m["=*"]; ok {
		return TLSPolicy{Mode: TLSVerifyName, CAFile: caField(v)}
	}
	if v, ok := d.m["+*"]; ok {
		return TLSPolicy{Mode: TLSVerify, CAFile: caField(v)}
	}
	if _, ok := d.m["-*"]; ok {
		return TLSPolicy{Mode: TLSRequired}
	}
	if _, ok := d.m["!*"]; ok {
		return TLSPolicy{Mode: TLSOff}
	}
	return TLSPolicy{}
}

// caField is the CA file at the start of an entry, before any '|' or ';'.
func caField(v string) string {
	if i := strings.IndexAny(v, "|;"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}
