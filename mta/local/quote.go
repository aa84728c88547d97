package local

import "strings"

// atomOK marks the characters qmail's quote() leaves unquoted in a local
// part: letters, digits and !#$%&'*+-/=?^_`{|}~ and the dot.
var atomOK = func() (t [128]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-./=?^_`{|}~" {
		t[c] = true
	}
	return t
}()

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 128 || !atomOK[s[i]] {
			return true
		}
	}
	return s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..")
}

// QuoteAddress quotes the local part of an address (up to the last '@')
// for a Return-Path line, as qmail's quote2 does: only when it is not a
// dot-atom, with '"' around it and '\' before CR, LF, '"' and '\'. The
// empty address stays empty.
func QuoteAddress(addr string) string {
	if addr == "" {
		return ""
	}
	local, domain := addr, ""
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local, domain = addr[:i], addr[i:]
	}
	if !needsQuote(local) {
		return addr
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		switch local[i] {
		case '\r', '\n', '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(local[i])
	}
	b.WriteByte('"')
	return b.String() + domain
}
