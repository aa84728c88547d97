package smtpd

import "strings"

// MailFromForms are the extended lines of control/badmailfrom that s/qmail
// and Spamcontrol read (their qmail-smtpd(8)); they are not patterns and
// are compared in lower case:
//
//	?addr        addr passes badmailfrom and MFDNSCHECK
//	@domain-     senders at domain refused from clients without a
//	             reverse DNS name (TCPREMOTEHOST unknown)
//	@domain=     senders at domain refused unless the client's name is
//	             domain or in it
//	@domain+     senders at domain refused from clients that may not
//	             relay (anti-spoofing of one's own domain)
//	~domain      clients whose name is in domain refused for senders of
//	             any domain their name is not in
type MailFromForms struct {
	pass, unknown, wellknown, relay, mismatch map[string]bool
}

// splitBadMailFrom separates the extended lines from the patterns.
func splitBadMailFrom(lines []string) (patterns []string, forms MailFromForms) {
	add := func(m *map[string]bool, k string) {
		if *m == nil {
			*m = map[string]bool{}
		}
		(*m)[k] = true
	}
	for _, l := range lines {
		l = strings.ToLower(strings.TrimSpace(l))
		switch {
		case len(l) > 1 && l[0] == '?':
			add(&forms.pass, l[1:])
		case len(l) > 1 && l[0] == '~':
			add(&forms.mismatch, l[1:])
		case len(l) > 2 && l[0] == '@' && l[len(l)-1] == '-':
			add(&forms.unknown, l[1:len(l)-1])
		case len(l) > 2 && l[0] == '@' && l[len(l)-1] == '=':
			add(&forms.wellknown, l[1:len(l)-1])
		case len(l) > 2 && l[0] == '@' && l[len(l)-1] == '+':
			add(&forms.relay, l[1:len(l)-1])
		default:
			patterns = append(patterns, l)
		}
	}
	return patterns, forms
}

// passes says whether addr is listed with '?'.
func (f MailFromForms) passes(addr string) bool {
	return f.pass != nil && f.pass[strings.ToLower(addr)]
}

// within says whether host is domain or a name in it.
func within(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// problem returns the reason an extended line refuses addr, "" for none.
// host is the client's name ("unknown" without one); relay says the
// client may relay.
func (f MailFromForms) problem(addr, host string, relay bool) string {
	d := strings.ToLower(Domain(addr))
	if d == "" {
		return ""
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	switch {
	case host == "unknown" && f.unknown[d]:
		return "Badmailfrom_unknown"
	case f.wellknown[d] && !within(host, d):
		return "Badmailfrom_wellknown"
	case !relay && f.relay[d]:
		return "Badmailfrom_relay"
	}
	if host != "unknown" && f.mismatch != nil && !within(host, d) {
		for h := host; h != ""; {
			if f.mismatch[h] {
				return "Badmailfrom_mismatch"
			}
			_, rest, ok := strings.Cut(h, ".")
			if !ok {
				break
			}
			h = rest
		}
	}
	return ""
}
