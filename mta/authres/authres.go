// Package authres writes and reads the Authentication-Results header
// field (RFC 8601) for qmail-dkverify(8), and its ARC copy
// (ARC-Authentication-Results, RFC 8617 section 4.1.1) for the sealer in
// qmail-remote(8).
//
// One Header is written per message by the receiving host, with the
// host's authserv-id (control/me by default) and one Method per result:
// SPF's (read back from the Received-SPF field qmail-smtpd wrote), one
// per DKIM signature, ARC's, and whatever check is added later (DMARC)
// appends its own Method to the same list: the field is formatted in
// one place, String.
//
// Before it is added, every Authentication-Results field already in the
// message that carries the same authserv-id is removed (RFC 8601
// section 5: a receiver must not trust, and should delete, fields that
// claim to be its own): RemoveForged.
package authres

import (
	"bytes"
	"strings"
)

// Prop is one property of a result: ptype.property=value, such as
// smtp.mailfrom=a@example.org or header.d=example.org.
type Prop struct {
	Type, Name, Value string
}

// Method is one result: method=result, with an optional reason, comment
// and properties.
type Method struct {
	Method  string // "spf", "dkim", "arc", "dmarc" ...
	Result  string // "pass", "fail", "none" ...
	Reason  string // written as reason="..."; "" for none
	Comment string // written in parentheses after the result; "" for none
	Props   []Prop
}

// Header is one Authentication-Results field.
type Header struct {
	AuthServID string
	Results    []Method // none: the field says "none"
}

// Name is the field name.
const Name = "Authentication-Results"

// String is the whole field, folded one result a line, with LF line
// ends and a final LF:
//
//	Authentication-Results: mail.example.org;
//		spf=pass smtp.mailfrom=a@example.net;
//		dkim=pass header.d=example.net header.s=sel header.a=rsa-sha256 header.b=AbCdEfGh
func (h Header) String() string {
	return Name + ": " + h.Payload() + "\n"
}

// Payload is the field's value (RFC 8601's authres-payload without the
// leading space), folded as String folds it, without a final line end.
func (h Header) Payload() string {
	var b strings.Builder
	b.WriteString(h.AuthServID)
	b.WriteString(";")
	if len(h.Results) == 0 {
		b.WriteString(" none")
		return b.String()
	}
	for i, m := range h.Results {
		if i > 0 {
			b.WriteString(";")
		}
		b.WriteString("\n\t")
		b.WriteString(token(m.Method))
		b.WriteString("=")
		b.WriteString(token(m.Result))
		if m.Comment != "" {
			b.WriteString(" (" + comment(m.Comment) + ")")
		}
		if m.Reason != "" {
			b.WriteString(" reason=" + quoted(m.Reason))
		}
		for _, p := range m.Props {
			b.WriteString(" " + token(p.Type) + "." + token(p.Name) + "=" + pvalue(p.Value))
		}
	}
	return b.String()
}

// tspecials are the characters a MIME token may not hold (RFC 2045
// section 5.1).
const tspecials = "()<>@,;:\\\"/[]?="

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(tspecials, c) >= 0 {
			return false
		}
	}
	return true
}

// token keeps what a method, result or property name may be, and
// replaces anything else, so a value from a message can never end the
// field's structure.
func token(s string) string {
	if isToken(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(tspecials, c) >= 0 {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// pvalue is a property value: a token, a local-part@domain of atoms, or
// else a quoted-string (RFC 8601 section 2.2).
func pvalue(s string) string {
	if isToken(s) {
		return s
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 && isDotAtom(s[:at], true) && isDotAtom(s[at+1:], false) {
		return s
	}
	return quoted(s)
}

func isDotAtom(s string, empty bool) bool {
	if s == "" {
		return empty
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0) {
				return false
			}
		}
	}
	return true
}

// quoted is a quoted-string; control characters and line ends, which a
// quoted-string cannot carry, become spaces.
func quoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// comment is the inside of a comment, its parentheses and backslashes
// escaped and control characters made spaces.
func comment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// RemoveForged returns msg without the Authentication-Results fields
// whose authserv-id is id (compared case-insensitively), and how many
// it removed. Only the header is looked at; the body is kept as it is.
func RemoveForged(msg []byte, id string) ([]byte, int) {
	var out []byte
	removed := 0
	i, keptTo := 0, 0
	for i < len(msg) {
		end, next := lineEnd(msg, i)
		if end == i {
			break // the header's end
		}
		// The field starting at i runs to the next line that does not
		// start with whitespace.
		fend := next
		for fend < len(msg) && (msg[fend] == ' ' || msg[fend] == '\t') {
			_, fend = lineEnd(msg, fend)
		}
		if name, value, ok := bytes.Cut(msg[i:fend], []byte(":")); ok &&
			strings.EqualFold(strings.TrimRight(string(name), " \t"), Name) &&
			strings.EqualFold(ServID(string(value)), id) {
			out = append(out, msg[keptTo:i]...)
			keptTo = fend
			removed++
		}
		i = fend
	}
	if removed == 0 {
		return msg, 0
	}
	return append(out, msg[keptTo:]...), removed
}

func lineEnd(b []byte, i int) (end, next int) {
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '\n':
			return j, j + 1
		case '\r':
			if j+1 < len(b) && b[j+1] == '\n' {
				return j, j + 2
			}
			return j, j + 1
		}
	}
	return len(b), len(b)
}
