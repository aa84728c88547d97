package remote

import (
	"strings"
	"unicode/utf8"
)

// WireAddress puts an envelope address in the form it takes between < and >
// in MAIL and RCPT, as qmail's addrmangle and quote do: the local part
// (before the last '@') is quoted when it is not a dot-atom (RFC 5321
// section 4.1.2), with '\' and '"' escaped; an address without '@' (the
// empty bounce sender) is used as it is. ok is false for an address
// holding CR or LF, which no quoting makes safe on the wire. A local part
// in UTF-8 is a dot-atom of RFC 6531 section 3.3 (its non-ASCII
// characters are atext there) and goes unquoted, with SMTPUTF8; other
// bytes above 126 are quoted, as qmail quotes them.
func WireAddress(addr string) (string, bool) {
	if strings.ContainsAny(addr, "\r\n") {
		return "", false
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr, true
	}
	box, domain := addr[:at], addr[at+1:]
	if !needsQuote(box) {
		return addr, true
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(box); i++ {
		if box[i] == '"' || box[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(box[i])
	}
	b.WriteString("\"@")
	b.WriteString(domain)
	return b.String(), true
}

const specials = "()<>@,;:\\\".[]"

func needsQuote(box string) bool {
	if box == "" || box[0] == '.' || box[len(box)-1] == '.' || strings.Contains(box, "..") {
		return true
	}
	utf := utf8.ValidString(box)
	for i := 0; i < len(box); i++ {
		c := box[i]
		if c > 126 && utf {
			continue // RFC 6531's UTF8-non-ascii
		}
		if c < 33 || c > 126 || c != '.' && strings.IndexByte(specials, c) >= 0 {
			return true
		}
	}
	return false
}
