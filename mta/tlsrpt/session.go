package tlsrpt

import (
	"net/netip"
	"strings"
)

// Session is one TLS session of a delivery, or one attempt at one, as
// qmail-remote reports it: the policy that governed it, the recipient
// domain, the exchanger and its address, and the result.
type Session struct {
	Policy string // PolicySTS, PolicyTLSA or PolicyNone
	Domain string // the recipient domain
	MX     string // the exchanger's name, as the MX record gives it
	IP     string // the exchanger's address
	Result string // Success or one of RFC 8460's failure types
}

// PolicyDomain is the domain the session's policy belongs to (RFC 8460
// section 4.4): the TLSA base domain (the exchanger) for DANE, the
// recipient domain otherwise.
func (s Session) PolicyDomain() string {
	if s.Policy == PolicyTLSA {
		return s.MX
	}
	return s.Domain
}

// Failed reports whether the session counts as a failure.
func (s Session) Failed() bool { return s.Result != Success }

// linePrefix starts every session line.
const linePrefix = "TLS-RPT"

// sessionKeys are the fields of a session line, in their order.
var sessionKeys = [...]string{"policy", "domain", "mx", "ip", "result"}

// Line is the session as the line qmail-remote adds to its report for
// qmail-send's log:
//
//	TLS-RPT policy=sts domain=example.com mx=mx1.example.com ip=192.0.2.1 result=success
//
// qmail-send logs the report with every space as '_' and every newline
// as '/' (qmail-log(5)), which Sessions reads back. The line ends in a
// newline.
func (s Session) Line() string {
	vals := [...]string{s.Policy, s.Domain, s.MX, s.IP, s.Result}
	var b strings.Builder
	b.WriteString(linePrefix)
	for i, k := range sessionKeys {
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(field(vals[i]))
	}
	b.WriteByte('\n')
	return b.String()
}

// field keeps a value on one line and in one field: bytes that would end
// the line or the field become '?'.
func field(v string) string {
	if v == "" {
		return "?"
	}
	b := []byte(v)
	for i, c := range b {
		if c <= ' ' || c == '/' || c > 126 {
			b[i] = '?'
		}
	}
	return string(b)
}

// Sessions finds the session lines in a report's text, as qmail-remote
// wrote it or as qmail-send's log shows it. Lines that are not session
// lines, and session lines that do not parse, are passed over.
func Sessions(text string) []Session {
	var out []Session
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '/' }) {
		if s, ok := parseSession(l); ok {
			out = append(out, s)
		}
	}
	return out
}

func isSep(c byte) bool { return c == ' ' || c == '_' }

// parseSession reads one line. Values run to the separator (' ' or '_')
// that comes before the next key, so a name with '_' in it survives the
// log's escaping unless what follows the '_' looks like the next key.
func parseSession(l string) (Session, bool) {
	rest, ok := strings.CutPrefix(l, linePrefix)
	if !ok {
		return Session{}, false
	}
	var vals [len(sessionKeys)]string
	for i, k := range sessionKeys {
		if rest == "" || !isSep(rest[0]) || !strings.HasPrefix(rest[1:], k+"=") {
			return Session{}, false
		}
		rest = rest[1+len(k)+1:]
		end := len(rest)
		if i+1 < len(sessionKeys) {
			end = nextKey(rest, sessionKeys[i+1])
			if end < 0 {
				return Session{}, false
			}
		} else if j := strings.IndexAny(rest, " _"); j >= 0 {
			end = j // fields a later quail may add
		}
		vals[i], rest = rest[:end], rest[end:]
		if vals[i] == "" {
			return Session{}, false
		}
	}
	s := Session{Policy: vals[0], Domain: vals[1], MX: vals[2], IP: vals[3], Result: strings.TrimSuffix(vals[4], ".")}
	if !knownPolicy(s.Policy) || !knownResult(s.Result) {
		return Session{}, false
	}
	if _, err := netip.ParseAddr(s.IP); err != nil {
		return Session{}, false
	}
	return s, true
}

// nextKey is the index in s of the separator before key and its '=', or
// -1.
func nextKey(s, key string) int {
	for i := 0; i+1+len(key) < len(s); i++ {
		if isSep(s[i]) && strings.HasPrefix(s[i+1:], key+"=") {
			return i
		}
	}
	return -1
}
