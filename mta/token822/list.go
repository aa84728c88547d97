package token822

import "errors"

// ErrParse is token822_parse's failure, or a > without its <: the caller
// reports "unable to parse this line".
var ErrParse = errors.New("unable to parse")

// Item is one entry of an address list: an address, or (when the caller
// asks for them) the file of an :include:.
type Item struct {
	Toks    []Token // left to right
	Include bool
}

// HasAt says whether the item has an @ outside quotes, which is what
// makes it an address rather than a program or a file name.
func (it Item) HasAt() bool {
	for _, t := range it.Toks {
		if t.Type == At {
			return true
		}
	}
	return false
}

// Text is the item as token822_unquote gives it.
func (it Item) Text() []byte { return Unquote(it.Toks) }

// List walks the tokens of one entry from right to left, the way
// newaliases, newinclude and dot-forward read a line, and calls got for
// each address it finds, rightmost first: words next to words (outside
// angle brackets) end an address, a comma ends one, <...> is an address
// of its own and the phrase before it is dropped, comments count as
// blanks, ; and : are ignored. With includes, the tokens : include : end
// an :include: item. An error from got stops the walk.
func List(toks []Token, includes bool, got func(Item) error) error {
	var addr []Token // right to left
	flush := func(include bool) error {
		rev := make([]Token, len(addr))
		for i, t := range addr {
			rev[len(addr)-1-i] = t
		}
		addr = addr[:0]
		return got(Item{Toks: rev, Include: include})
	}
	wordok := true
	t := len(toks)
	for t > 0 {
		t--
		switch toks[t].Type {
		case Semi:
		case Colon:
			if includes && t >= 2 && toks[t-2].Type == Colon && toks[t-1].Type == Atom && string(toks[t-1].Text) == "include" {
				if err := flush(true); err != nil {
					return err
				}
				t -= 2
			}
		case Right:
			if len(addr) > 0 {
				if err := flush(false); err != nil {
					return err
				}
			}
			for t > 0 && toks[t-1].Type != Left {
				t--
				addr = append(addr, toks[t])
			}
			// <> is an address too, an empty one.
			if err := flush(false); err != nil {
				return err
			}
			if t <= 0 {
				return ErrParse
			}
			t--
			for t > 0 && phrase(toks[t-1].Type) {
				t--
			}
			wordok = false
		case Atom, Quote, Literal:
			if !wordok && len(addr) > 0 {
				if err := flush(false); err != nil {
					return err
				}
			}
			wordok = false
			addr = append(addr, toks[t])
		case Comment:
		case Comma:
			if len(addr) > 0 {
				if err := flush(false); err != nil {
					return err
				}
			}
			wordok = true
		default:
			wordok = true
			addr = append(addr, toks[t])
		}
	}
	if len(addr) > 0 {
		return flush(false)
	}
	return nil
}

// phrase is whether a token may be part of the words before <...>.
func phrase(t Type) bool {
	switch t {
	case Comment, Atom, Quote, At, Dot:
		return true
	}
	return false
}
