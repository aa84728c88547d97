package remote

import "strings"

// WireAddress puts an envelope address in the form it takes between < and >
// in MAIL and RCPT, as qmail's addrmangle and quote do: the local part
// (before the last '@') is quoted when it is not a dot-atom (RFC 5321
// section 4.1.2), with '\' and '"' escaped; an address without '@' (the
// empty bounce sender) is used as it is. ok is false for an address
// holding CR or LF, which no quoting makes safe on the wire.
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
	for i := 0; i < len(box); i++ {
		c := box[i]
		if c < 33 || c > 126 || c != '.' && strings.IndexByte(specials, c) >= 0 {
			return true
		}
	}
	return false
}
