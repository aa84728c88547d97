// Package token822 splits text into RFC 822 tokens exactly as qmail's
// token822_parse does, and puts an address back together as
// token822_unquote does. newaliases, newinclude and dot-forward read
// their files with it, so that an address list means to quail what it
// means to fastforward 0.51 and dot-forward 0.71:
//
//   - the specials . , @ < > : ; are tokens of their own;
//   - blanks (space, tab, CR, LF) separate tokens and are dropped;
//   - "quoted strings", (comments, which nest) and [domain literals] are
//     one token each, without their delimiters, with a backslash taking
//     the next byte as it is; one left open is a parse error, and so is a
//     ) or ] outside them;
//   - every other run of bytes is an atom, a backslash again taking the
//     next byte; an atom holding a control byte, a byte above 126, ) ] or
//     a backslash becomes a quoted string (atomcheck).
package token822

// Type is a token's kind.
type Type byte

// The token types, as token822.h numbers them.
const (
	Atom Type = iota + 1
	Quote
	Literal
	Comment
	Dot
	Comma
	At
	Left
	Right
	Colon
	Semi
)

// Token is one token; Text is empty for the specials.
type Token struct {
	Type Type
	Text []byte
}

func special(c byte) (Type, bool) {
	switch c {
	case '.':
		return Dot, true
	case ',':
		return Comma, true
	case '@':
		return At, true
	case '<':
		return Left, true
	case '>':
		return Right, true
	case ':':
		return Colon, true
	case ';':
		return Semi, true
	}
	return 0, false
}

func blank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// atomok is whether c may go on an atom.
func atomok(c byte) bool {
	if blank(c) {
		return false
	}
	switch c {
	case '(', '[', '"', '<', '>', ';', ':', '@', ',', '.':
		return false
	}
	return true
}

// Parse splits s into tokens; ok is false where token822_parse returns 0.
func Parse(s []byte) (toks []Token, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if t, isSpecial := special(c); isSpecial {
			toks = append(toks, Token{Type: t})
			continue
		}
		switch {
		case blank(c):
			continue
		case c == ')' || c == ']':
			return nil, false
		case c == '(' || c == '"' || c == '[':
			typ, open, close := Comment, byte('('), byte(')')
			if c == '"' {
				typ, open, close = Quote, 0, '"'
			} else if c == '[' {
				typ, open, close = Literal, 0, ']'
			}
			var text []byte
			for level := 1; level > 0; {
				i++
				if i >= len(s) {
					return nil, false
				}
				switch b := s[i]; {
				case open != 0 && b == open:
					// A nested comment's parentheses are not kept.
					level++
				case b == close:
					level--
				case b == '\\':
					i++
					if i >= len(s) {
						return nil, false
					}
					text = append(text, s[i])
				default:
					text = append(text, b)
				}
			}
			toks = append(toks, Token{Type: typ, Text: text})
		default:
			var text []byte
			for {
				if s[i] == '\\' {
					i++
					if i >= len(s) {
						break
					}
				}
				text = append(text, s[i])
				i++
				if i >= len(s) || !atomok(s[i]) {
					break
				}
			}
			i--
			toks = append(toks, Token{Type: atomcheck(text), Text: text})
		}
	}
	return toks, true
}

func atomcheck(text []byte) Type {
	for _, c := range text {
		if c < 32 || c > 126 || c == ')' || c == ']' || c == '\\' {
			return Quote
		}
	}
	return Atom
}

var specialText = map[Type]byte{Dot: '.', Comma: ',', At: '@', Left: '<', Right: '>', Colon: ':', Semi: ';'}

// Unquote joins toks into an address as token822_unquote does: quoted
// strings and atoms as their text, literals in brackets, specials as
// themselves, comments dropped.
func Unquote(toks []Token) []byte {
	var out []byte
	for _, t := range toks {
		switch t.Type {
		case Atom, Quote:
			out = append(out, t.Text...)
		case Literal:
			out = append(out, '[')
			out = append(out, t.Text...)
			out = append(out, ']')
		case Comment:
		default:
			out = append(out, specialText[t.Type])
		}
	}
	return out
}
