package mtasts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mode is a policy's mode (RFC 8461 section 3.2).
type Mode string

const (
	Enforce Mode = "enforce"
	Testing Mode = "testing"
	None    Mode = "none"
)

// MaxMaxAge is the longest max_age a policy may have: about a year (RFC
// 8461 section 3.2).
const MaxMaxAge = 31557600 * time.Second

// Policy is a parsed policy.
type Policy struct {
	Mode   Mode
	MaxAge time.Duration
	MX     []string // the mx patterns, lower case: "mail.example.com", "*.example.net"
	Text   string   // the policy as fetched
}

// ErrBadPolicy wraps every reason a policy does not parse.
var ErrBadPolicy = errors.New("malformed MTA-STS policy")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPolicy, fmt.Sprintf(format, args...))
}

// ParsePolicy reads a policy (RFC 8461 section 3.2): lines ending in CR
// LF or LF, each "key: value" with optional white space after the colon.
// version (STSv1), mode and max_age are required, and at least one mx
// unless the mode is none; other keys are extensions and ignored. A key
// given twice counts the first time, except mx, which may be given many
// times. White space at the end of a line is dropped, as policies in the
// wild have it, and blank lines are passed over.
func ParsePolicy(text string) (*Policy, error) {
	p := &Policy{Text: text}
	seen := map[string]bool{}
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
	for n, line := range lines {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			continue // blank lines are not in the grammar; passed over
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || !policyKey(key) {
			return nil, bad("line %d is not key: value", n+1)
		}
		value = strings.TrimLeft(value, " \t")
		if key == "mx" {
			pat, ok := mxPattern(value)
			if !ok {
				return nil, bad("mx %q is not a host name or *.domain", value)
			}
			p.MX = append(p.MX, pat)
			continue
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		switch key {
		case "version":
			if value != "STSv1" {
				return nil, bad("version %q", value)
			}
		case "mode":
			switch Mode(value) {
			case Enforce, Testing, None:
				p.Mode = Mode(value)
			default:
				return nil, bad("mode %q", value)
			}
		case "max_age":
			if len(value) == 0 || len(value) > 10 || strings.Trim(value, "0123456789") != "" {
				return nil, bad("max_age %q", value)
			}
			secs, _ := strconv.ParseInt(value, 10, 64)
			if time.Duration(secs)*time.Second > MaxMaxAge {
				return nil, bad("max_age %q over a year", value)
			}
			p.MaxAge = time.Duration(secs) * time.Second
		}
	}
	for _, k := range []string{"version", "mode", "max_age"} {
		if !seen[k] {
			return nil, bad("no %s", k)
		}
	}
	if p.Mode != None && len(p.MX) == 0 {
		return nil, bad("no mx")
	}
	return p, nil
}

// policyKey is RFC 8461's sts-policy-ext-name (the defined keys are of
// the same form): a letter or digit, then up to 31 letters, digits, '_',
// '-' and '.'.
func policyKey(s string) bool { return extName(s) }

// mxPattern checks an mx value: a host name, or "*." and a domain.
func mxPattern(v string) (string, bool) {
	v = strings.ToLower(strings.TrimSuffix(v, "."))
	host := strings.TrimPrefix(v, "*.")
	if !hostName(host) || !strings.Contains(host, ".") && host != v {
		return "", false
	}
	return v, true
}

// hostName checks a name of LDH labels ('_' allowed too), each 1 to 63
// bytes, 253 in all.
func hostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnum(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// Match reports whether the policy allows the MX host (RFC 8461 section
// 4.1): a pattern is the host itself, or "*." and the host's parent
// domain, the wildcard standing for exactly one label.
func (p *Policy) Match(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if pat == host {
			return true
		}
		if suffix, ok := strings.CutPrefix(pat, "*"); ok {
			if label, ok := strings.CutSuffix(host, suffix); ok && label != "" && !strings.Contains(label, ".") {
				return true
			}
		}
	}
	return false
}

// Lines is the policy as TLS-RPT's policy-string gives it (RFC 8460
// section 4.4): each line of the text, line ends removed.
func (p *Policy) Lines() []string {
	t := strings.TrimSuffix(strings.ReplaceAll(p.Text, "\r\n", "\n"), "\n")
	return strings.Split(t, "\n")
}
