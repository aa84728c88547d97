package spf

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// expand performs macro expansion (RFC 7208 section 7) of s for the
// current domain. inExp allows the letters only meaningful in
// explanations (c, r, t).
func (st *state) expand(s, domain string, inExp bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				if !inExp || c != ' ' {
					return "", perm("bad character in %q", s)
				}
			}
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", perm("lone %% in %q", s)
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case '_':
			b.WriteByte(' ')
		case '-':
			b.WriteString("%20")
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", perm("unterminated macro in %q", s)
			}
			v, err := st.macro(s[i+1:i+end], domain, inExp)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		default:
			return "", perm("bad macro in %q", s)
		}
	}
	out := b.String()
	if !inExp {
		// A domain-spec longer than 253 bytes loses labels from the left.
		for len(out) > 253 {
			j := strings.IndexByte(out, '.')
			if j < 0 {
				break
			}
			out = out[j+1:]
		}
	}
	return out, nil
}

func (st *state) macro(body, domain string, inExp bool) (string, error) {
	if body == "" {
		return "", perm("empty macro")
	}
	letter := body[0]
	upper := 'A' <= letter && letter <= 'Z'
	lower := letter | 0x20
	rest := body[1:]
	digits := 0
	for digits < len(rest) && '0' <= rest[digits] && rest[digits] <= '9' {
		digits++
	}
	keep := 0
	if digits > 0 {
		n, err := strconv.Atoi(rest[:digits])
		if err != nil || n == 0 {
			return "", perm("bad macro transformer in %%{%s}", body)
		}
		keep = n
	}
	rest = rest[digits:]
	reverse := false
	if strings.HasPrefix(rest, "r") || strings.HasPrefix(rest, "R") {
		reverse = true
		rest = rest[1:]
	}
	delims := rest
	for i := 0; i < len(delims); i++ {
		if strings.IndexByte(".-+,/_=", delims[i]) < 0 {
			return "", perm("bad macro delimiter in %%{%s}", body)
		}
	}
	if delims == "" {
		delims = "."
	}
	var v string
	at := strings.LastIndexByte(st.sender, '@')
	switch lower {
	case 's':
		v = st.sender
	case 'l':
		v = st.sender[:at]
		if v == "" {
			v = "postmaster"
		}
	case 'o':
		v = st.sender[at+1:]
	case 'd':
		v = domain
	case 'i':
		v = dottedIP(st)
	case 'p':
		names, _ := st.validatedNames()
		v = "unknown"
		for _, n := range names {
			if n == strings.ToLower(domain) || strings.HasSuffix(n, "."+strings.ToLower(domain)) {
				v = n
				break
			}
		}
		if v == "unknown" && len(names) > 0 {
			v = names[0]
		}
	case 'v':
		v = "in-addr"
		if st.ip.Is6() {
			v = "ip6"
		}
	case 'h':
		v = st.helo
	case 'c', 'r', 't':
		if !inExp {
			return "", perm("macro %%{%c} outside an explanation", letter)
		}
		switch lower {
		case 'c':
			v = st.ip.String()
		case 'r':
			v = st.c.Receiver
			if v == "" {
				v = "unknown"
			}
		case 't':
			v = strconv.FormatInt(time.Now().Unix(), 10)
		}
	default:
		return "", perm("unknown macro letter %q", letter)
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if keep > 0 && keep < len(parts) {
		parts = parts[len(parts)-keep:]
	}
	v = strings.Join(parts, ".")
	if upper {
		v = url.QueryEscape(v)
		v = strings.ReplaceAll(v, "+", "%20")
	}
	return v, nil
}

// dottedIP is the %{i} form: dotted quad, or 32 dotted nibbles for IPv6.
func dottedIP(st *state) string {
	if st.ip.Is4() {
		return st.ip.String()
	}
	b := st.ip.As16()
	var out strings.Builder
	const hex = "0123456789abcdef"
	for i, c := range b {
		if i > 0 {
			out.WriteByte('.')
		}
		out.WriteByte(hex[c>>4])
		out.WriteByte('.')
		out.WriteByte(hex[c&15])
	}
	return out.String()
}

// macroSyntax checks a macro-string (RFC 7208 section 7.1) without
// expanding it, so that a record's syntax can be judged before any of it
// is evaluated.
func macroSyntax(s string, inExp bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if (c < 0x21 || c > 0x7e) && (!inExp || c != ' ') {
				return perm("bad character in %q", s)
			}
			continue
		}
		if i+1 >= len(s) {
			return perm("lone %% in %q", s)
		}
		i++
		switch s[i] {
		case '%', '_', '-':
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return perm("unterminated macro in %q", s)
			}
			if err := macroBodySyntax(s[i+1:i+end], inExp); err != nil {
				return err
			}
			i += end
		default:
			return perm("bad macro in %q", s)
		}
	}
	return nil
}

// macroBodySyntax checks what is between "%{" and "}": a letter, digits
// (not zero), an optional "r" and delimiters.
func macroBodySyntax(body string, inExp bool) error {
	if body == "" {
		return perm("empty macro")
	}
	lower := body[0] | 0x20
	switch {
	case strings.IndexByte("slodiphv", lower) >= 0:
	case strings.IndexByte("crt", lower) >= 0:
		if !inExp {
			return perm("macro %%{%c} outside an explanation", body[0])
		}
	default:
		return perm("unknown macro letter %q", body[0])
	}
	rest := body[1:]
	digits := 0
	for digits < len(rest) && '0' <= rest[digits] && rest[digits] <= '9' {
		digits++
	}
	if digits > 0 {
		if n, err := strconv.Atoi(rest[:digits]); err != nil || n == 0 {
			return perm("bad macro transformer in %%{%s}", body)
		}
	}
	rest = rest[digits:]
	if rest != "" && rest[0]|0x20 == 'r' {
		rest = rest[1:]
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(".-+,/_=", rest[i]) < 0 {
			return perm("bad macro delimiter in %%{%s}", body)
		}
	}
	return nil
}

// domainSpecSyntax checks a domain-spec: a macro-string that ends in a
// macro or in a top label ("." toplabel ["."]).
func domainSpecSyntax(s string) error {
	if err := macroSyntax(s, false); err != nil {
		return err
	}
	if strings.HasSuffix(s, "}") {
		return nil
	}
	d := strings.TrimSuffix(s, ".")
	i := strings.LastIndexByte(d, '.')
	if i < 0 || !topLabel(d[i+1:]) {
		return perm("bad domain %q", s)
	}
	return nil
}

// topLabel: alphanumerics with a letter in them, or with inner hyphens
// (RFC 7208 section 7.1, toplabel).
func topLabel(l string) bool {
	if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	letterOrHyphen := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c) || c == '-':
			letterOrHyphen = true
		case '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return letterOrHyphen
}
