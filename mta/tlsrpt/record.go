package tlsrpt

import (
	"errors"
	"net/url"
	"strings"
)

// Record is a domain's TLS-RPT record, the TXT record of
// _smtp._tls.<domain> (RFC 8460 section 3): where reports go.
type Record struct {
	RUA []string // the "rua" URIs, "mailto:" or "https:", in order
}

// Errors of ParseRecord and FindRecord.
var (
	ErrNoRecord  = errors.New("no TLS-RPT record")
	ErrManyRecs  = errors.New("more than one TLS-RPT record")
	ErrBadRecord = errors.New("malformed TLS-RPT record")
)

// RecordName is the owner of domain's record.
func RecordName(domain string) string { return "_smtp._tls." + domain }

// FindRecord picks domain's record from the TXT strings at its name:
// those that do not start with "v=TLSRPTv1" are discarded, and exactly
// one must be left (RFC 8460 section 3).
func FindRecord(txts []string) (Record, error) {
	var found []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=TLSRPTv1") {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return Record{}, ErrNoRecord
	case 1:
		return ParseRecord(found[0])
	}
	return Record{}, ErrManyRecs
}

// MaxURIs bounds the rua URIs kept from one record.
const MaxURIs = 10

// ParseRecord reads a record (RFC 8460 section 3):
//
//	v=TLSRPTv1; rua=mailto:reports@example.com,https://reports.example.com/tlsrpt
//
// The version comes first; fields are separated by ';' with optional
// white space; "rua" is required, a list of URIs separated by ',';
// fields of other names are extensions and ignored. URIs other than
// mailto: and https: are left out, as are URIs beyond MaxURIs.
func ParseRecord(txt string) (Record, error) {
	fields := strings.Split(txt, ";")
	if strings.TrimRight(fields[0], " \t") != "v=TLSRPTv1" {
		return Record{}, ErrBadRecord
	}
	var rec Record
	seen := false
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			if i == len(fields)-2 {
				break // a trailing ';'
			}
			return Record{}, ErrBadRecord
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" || value == "" || !extName(name) {
			return Record{}, ErrBadRecord
		}
		if name != "rua" || seen {
			continue
		}
		seen = true
		for _, u := range strings.Split(value, ",") {
			u = strings.Trim(u, " \t")
			if u == "" {
				return Record{}, ErrBadRecord
			}
			if usableURI(u) && len(rec.RUA) < MaxURIs {
				rec.RUA = append(rec.RUA, u)
			}
		}
	}
	if !seen {
		return Record{}, ErrBadRecord
	}
	return rec, nil
}

// extName is RFC 8460's tlsrpt-ext-name: a letter or digit, then up to
// 31 letters, digits, '_', '-' and '.'.
func extName(s string) bool {
	if len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}

// usableURI says whether u is a mailto: with an address or an https:
// URL with a host.
func usableURI(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "mailto":
		return strings.Contains(p.Opaque, "@")
	case "https":
		return p.Host != ""
	}
	return false
}

// MailAddress is the address of a mailto: URI: its path, %-escapes
// decoded, without any "?" header fields; "" if there is none.
func MailAddress(u string) string {
	p, err := url.Parse(u)
	if err != nil || !strings.EqualFold(p.Scheme, "mailto") {
		return ""
	}
	a, err := url.PathUnescape(p.Opaque)
	if err != nil || !strings.Contains(a, "@") || strings.ContainsAny(a, ",<>\r\n \t") {
		return ""
	}
	return a
}
