package srs

import (
	"fmt"
	"strings"

	"github.com/quail-mta/quail/mta/control"
)

// Domains is control/srsdomains, s/qmail's file (srsforward(1)): one
// line for each domain whose forwards are rewritten,
//
//	domain:secret1 secret2 ...|separator|srsaddress
//
// where the secrets are separated by blanks (the first makes hashes,
// all are accepted), the separator is one of '=', '+', '-' (default
// '='), and srsaddress is the domain of the rewritten senders: the
// forwarding domain itself when empty, srsaddress with the forwarding
// domain appended when it ends in a dot ("srs." gives
// srs.domain), else srsaddress as it is. The separator and srsaddress
// may be left out with their bars. "*" gives the values for every
// domain without a line of its own, and fills in the fields a domain's
// line leaves empty; "!domain:" turns rewriting off for domain.
type Domains struct {
	byName map[string]Entry
	def    *Entry
}

// Entry is one domain's settings.
type Entry struct {
	Domain   string // lower case; "*" for the default
	Disabled bool
	Secrets  []string
	Sep      byte
	Address  string // srsaddress as written
}

// Codec is the entry's codec with libsrs2's defaults.
func (e Entry) Codec() *Codec {
	return &Codec{Secrets: e.Secrets, Separator: e.Sep}
}

// Alias is the domain senders get when host forwards.
func (e Entry) Alias(host string) string {
	switch {
	case e.Address == "":
		return host
	case strings.HasSuffix(e.Address, "."):
		return e.Address + host
	}
	return e.Address
}

// LoadDomains reads control/srsdomains; nil (and no error) when there is
// none, or when it has no usable line.
func LoadDomains(dir control.Dir) (*Domains, error) {
	lines, present, err := dir.List("srsdomains")
	if err != nil || !present {
		return nil, err
	}
	return ParseDomains(lines)
}

// ParseDomains reads the lines of control/srsdomains, comments and
// empty lines already left out.
func ParseDomains(lines []string) (*Domains, error) {
	d := &Domains{byName: map[string]Entry{}}
	for _, line := range lines {
		e, err := parseEntry(line)
		if err != nil {
			return nil, err
		}
		if e.Domain == "*" {
			d.def = &e
			continue
		}
		d.byName[e.Domain] = e
	}
	if d.def == nil && len(d.byName) == 0 {
		return nil, nil
	}
	return d, nil
}

func parseEntry(line string) (Entry, error) {
	name, rest, ok := strings.Cut(line, ":")
	if !ok || name == "" {
		return Entry{}, fmt.Errorf("srsdomains: no domain in line %q", line)
	}
	var e Entry
	if strings.HasPrefix(name, "!") {
		e.Disabled = true
		name = name[1:]
	}
	e.Domain = strings.ToLower(strings.TrimSpace(name))
	fields := strings.Split(rest, "|")
	if len(fields) > 3 {
		return Entry{}, fmt.Errorf("srsdomains: too many fields in the line of %s", e.Domain)
	}
	e.Secrets = strings.Fields(fields[0])
	if len(fields) > 1 {
		s := strings.TrimSpace(fields[1])
		switch {
		case s == "":
		case len(s) == 1 && strings.Contains(Separators, s):
			e.Sep = s[0]
		default:
			return Entry{}, fmt.Errorf("srsdomains: separator %q of %s is not one of =+-", s, e.Domain)
		}
	}
	if len(fields) > 2 {
		e.Address = strings.ToLower(strings.TrimSpace(fields[2]))
	}
	return e, nil
}

// Lookup returns the settings for forwards by host: its own line with
// the default's values where it has none, or the default; ok is false
// when neither applies, the line turns rewriting off, or there is no
// secret.
func (d *Domains) Lookup(host string) (Entry, bool) {
	if d == nil {
		return Entry{}, false
	}
	host = strings.ToLower(host)
	e, found := d.byName[host]
	switch {
	case found && e.Disabled:
		return Entry{}, false
	case found && d.def != nil:
		if len(e.Secrets) == 0 {
			e.Secrets = d.def.Secrets
		}
		if e.Sep == 0 {
			e.Sep = d.def.Sep
		}
		if e.Address == "" {
			e.Address = d.def.Address
		}
	case !found && d.def != nil && !d.def.Disabled:
		e = *d.def
		e.Domain = host
	case !found:
		return Entry{}, false
	}
	e.Domain = host
	return e, len(e.Secrets) > 0
}

// ForAlias returns the settings of the forwarding domain whose rewritten
// senders are in domain alias: what a bounce to an SRS address @alias is
// checked with.
func (d *Domains) ForAlias(alias string) (Entry, bool) {
	if d == nil {
		return Entry{}, false
	}
	alias = strings.ToLower(alias)
	for name := range d.byName {
		if e, ok := d.Lookup(name); ok && e.Alias(name) == alias {
			return e, true
		}
	}
	if d.def == nil || d.def.Disabled {
		return Entry{}, false
	}
	switch a := d.def.Address; {
	case a == "":
		if _, own := d.byName[alias]; !own {
			return d.Lookup(alias)
		}
	case strings.HasSuffix(a, "."):
		if host, ok := strings.CutPrefix(alias, a); ok && host != "" {
			return d.Lookup(host)
		}
	case a == alias:
		e := *d.def
		return e, len(e.Secrets) > 0
	}
	return Entry{}, false
}
