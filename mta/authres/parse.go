package authres

import (
	"errors"
	"strings"
)

// ServID is the authserv-id of a field's value: its first word, before
// any version, comment or ';'; "" when there is none.
func ServID(value string) string {
	l := lexer{s: value}
	w, _ := l.word()
	return w
}

// Parse reads the value of an Authentication-Results field (or of an
// ARC-Authentication-Results one after its "i=N;") into a Header. It is
// lenient where a reader can afford to be: comments are dropped, an
// unknown property kept; a value without an authserv-id, or a result
// that is not method=result, is an error.
func Parse(value string) (Header, error) {
	l := lexer{s: value}
	var h Header
	id, ok := l.word()
	if !ok || id == "" {
		return h, errors.New("no authserv-id")
	}
	h.AuthServID = id
	// An optional version follows the authserv-id.
	if w, ok := l.peekWord(); ok && isDigits(w) {
		l.word()
	}
	for {
		c := l.next()
		switch c {
		case 0:
			return h, nil
		case ';':
		default:
			return h, errors.New("expected ';'")
		}
		m, ok := l.word()
		if !ok {
			return h, nil // a trailing ';'
		}
		if strings.EqualFold(m, "none") && len(h.Results) == 0 {
			continue
		}
		if l.next() != '=' {
			return h, errors.New("result without '='")
		}
		res, ok := l.word()
		if !ok {
			return h, errors.New("method without result")
		}
		// A method may carry a version ("dkim/1").
		method := strings.ToLower(m)
		if i := strings.IndexByte(method, '/'); i >= 0 {
			method = method[:i]
		}
		r := Method{Method: method, Result: strings.ToLower(res), Comment: l.lastComment}
		for {
			w, ok := l.peekWord()
			if !ok {
				break
			}
			l.word()
			if l.next() != '=' {
				return h, errors.New("property without '='")
			}
			v, ok := l.value()
			if !ok {
				return h, errors.New("property without value")
			}
			if strings.EqualFold(w, "reason") {
				r.Reason = v
				continue
			}
			typ, name, _ := strings.Cut(w, ".")
			r.Props = append(r.Props, Prop{Type: strings.ToLower(typ), Name: strings.ToLower(name), Value: v})
		}
		h.Results = append(h.Results, r)
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// lexer walks a structured field value, skipping whitespace and
// comments.
type lexer struct {
	s           string
	i           int
	lastComment string
}

func (l *lexer) skip() {
	for l.i < len(l.s) {
		switch c := l.s[l.i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.i++
		case c == '(':
			start := l.i + 1
			depth := 0
			for l.i < len(l.s) {
				switch l.s[l.i] {
				case '\\':
					l.i++
				case '(':
					depth++
				case ')':
					depth--
				}
				l.i++
				if depth == 0 {
					break
				}
			}
			end := min(max(l.i-1, start), len(l.s))
			l.lastComment = l.s[start:end]
		default:
			return
		}
	}
}

// next returns the next special character (';', '='), 0 at the end, or
// 1 when a word follows instead.
func (l *lexer) next() byte {
	l.skip()
	if l.i == len(l.s) {
		return 0
	}
	c := l.s[l.i]
	if c == ';' || c == '=' {
		l.i++
		return c
	}
	return 1
}

func isWordChar(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte("()<>,;:\\\"[]?=", c) < 0 || c >= 0x80
}

func (l *lexer) peekWord() (string, bool) {
	save, comment := l.i, l.lastComment
	w, ok := l.word()
	l.i, l.lastComment = save, comment
	return w, ok
}

// word reads a token (dots, slashes and '@' allowed, as authserv-ids,
// property names and addresses hold them).
func (l *lexer) word() (string, bool) {
	l.lastComment = ""
	l.skip()
	start := l.i
	for l.i < len(l.s) && isWordChar(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i], l.i > start
}

// value reads a property value: a word or a quoted-string.
func (l *lexer) value() (string, bool) {
	l.skip()
	if l.i < len(l.s) && l.s[l.i] == '"' {
		var b strings.Builder
		for l.i++; l.i < len(l.s); l.i++ {
			c := l.s[l.i]
			if c == '\\' && l.i+1 < len(l.s) {
				l.i++
				b.WriteByte(l.s[l.i])
				continue
			}
			if c == '"' {
				l.i++
				return b.String(), true
			}
			b.WriteByte(c)
		}
		return "", false
	}
	w, ok := l.word()
	if ok {
		l.skip() // a comment after the value
	}
	return w, ok
}
