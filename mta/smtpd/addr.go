package smtpd

import (
	"errors"
	"strings"
)

// MaxAddressLength is qmail-smtpd's limit on an envelope address.
const MaxAddressLength = 900

var errAddrSyntax = errors.New("address syntax")

// ParsePath reads the argument of MAIL FROM: or RCPT TO: (everything after
// the verb) and returns the address and the ESMTP parameters after it.
//
// Like qmail-smtpd's addrparse it accepts the path with or without angle
// brackets and spaces after the colon, removes a source route (@a,@b:),
// and undoes quoting of the local part (RFC 5321 quoted-string) so the
// address is what qmail stores. Unlike qmail it says whether the local part
// was quoted, so callers can refuse relay tricks hidden inside quotes.
func ParsePath(arg, prefix string) (addr string, params []string, quoted bool, err error) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, false, errAddrSyntax
	}
	s := strings.TrimLeft(arg[len(prefix):], " ")
	var raw, rest string
	if strings.HasPrefix(s, "<") {
		end := closingBracket(s)
		if end < 0 {
			return "", nil, false, errAddrSyntax
		}
		raw, rest = s[1:end], s[end+1:]
	} else {
		// Without brackets, as some old clients send: up to a space.
		if i := strings.IndexByte(s, ' '); i >= 0 {
			raw, rest = s[:i], s[i:]
		} else {
			raw = s
		}
	}
	// Source route: "@a,@b:user@host" -> "user@host" (RFC 5321 C.).
	if strings.HasPrefix(raw, "@") {
		i := strings.IndexByte(raw, ':')
		if i < 0 {
			return "", nil, false, errAddrSyntax
		}
		raw = raw[i+1:]
	}
	addr, quoted, err = unquote(raw)
	if err != nil {
		return "", nil, false, err
	}
	if len(addr) > MaxAddressLength || hasControl(addr) {
		return "", nil, false, errAddrSyntax
	}
	params = strings.Fields(rest)
	return addr, params, quoted, nil
}

// hasControl reports a control byte: RFC 5321 allows none in a path,
// not even quoted, and a NUL would end the address early in qmail-queue's
// envelope, letting the rest of it pose as another recipient.
func hasControl(addr string) bool {
	for i := 0; i < len(addr); i++ {
		if addr[i] < ' ' || addr[i] == 127 {
			return true
		}
	}
	return false
}

// closingBracket finds the '>' that ends a path starting with '<',
// skipping quoted strings and escapes.
func closingBracket(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '>' && !inQuote:
			return i
		}
	}
	return -1
}

// unquote removes RFC 5321 quoting: "a b"@x -> a b@x, \x -> x.
func unquote(raw string) (string, bool, error) {
	if !strings.ContainsAny(raw, "\"\\") {
		return raw, false, nil
	}
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\':
			if i+1 >= len(raw) {
				return "", true, errAddrSyntax
			}
			i++
			b.WriteByte(raw[i])
		case c == '"':
			inQuote = !inQuote
		default:
			b.WriteByte(c)
		}
	}
	if inQuote {
		return "", true, errAddrSyntax
	}
	return b.String(), true, nil
}

// Domain returns the part after the last '@', lowercased; "" without one.
func Domain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(addr[i+1:])
}

// relayTrick names the form of a recipient that would make a relay out of
// a domain we accept mail for, or "" for an ordinary address: the percent
// hack (user%elsewhere@us), bang paths (elsewhere!user@us), a quoted local
// part hiding an '@' ("user@elsewhere"@us), a leftover source route, or an
// address literal.
func relayTrick(addr string, quoted bool) string {
	at := strings.LastIndexByte(addr, '@')
	local := addr
	if at >= 0 {
		local = addr[:at]
	}
	switch {
	case strings.ContainsRune(local, '@'):
		if quoted {
			return "quoted local part with @"
		}
		return "source route"
	case strings.ContainsRune(local, '%'):
		return "percent hack"
	case strings.ContainsRune(local, '!'):
		return "bang path"
	case strings.ContainsRune(local, ':'):
		return "source route"
	case at >= 0 && strings.HasPrefix(addr[at+1:], "["):
		return "address literal"
	}
	return ""
}
