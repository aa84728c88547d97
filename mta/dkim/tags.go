package dkim

import (
	"errors"
	"fmt"
	"strings"
)

// Tag is one tag=value pair of a tag list (RFC 6376 section 3.2).
type Tag struct {
	Name  string
	Value string // with surrounding whitespace removed; inner FWS kept
	// Start and End delimit the value in the text that was parsed, so
	// a verifier can empty b= without touching anything else.
	Start, End int
}

// Tags is a parsed tag list, in the order of the text.
type Tags []Tag

// Get returns the value of the tag name and whether it is present.
func (ts Tags) Get(name string) (string, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// errSyntax marks a malformed tag list.
var errSyntax = errors.New("tag list syntax error")

// ParseTags parses a tag list (RFC 6376 section 3.2):
//
//	tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
//	tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//	tag-name  = ALPHA *ALNUMPUNC
//	tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
//	tval      = 1*VALCHAR        ; %x21-3A / %x3C-7E
//
// A tag named twice is an error, as the RFC requires. Values may not
// contain bytes outside VALCHAR and whitespace, except that bytes above
// 0x7E are let through (RFC 6376 allows none, but ARC payloads and
// internationalised names may carry UTF-8, and a verifier refuses them
// later where they matter).
func ParseTags(s string) (Tags, error) {
	var ts Tags
	i := 0
	for {
		i = skipFWS(s, i)
		if i == len(s) {
			return ts, nil
		}
		// tag-name
		start := i
		for i < len(s) && isNameChar(s[i], i == start) {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("%w: bad tag name at %q", errSyntax, clip(s[start:]))
		}
		name := s[start:i]
		i = skipFWS(s, i)
		if i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: no '=' after %q", errSyntax, name)
		}
		i = skipFWS(s, i+1)
		vstart := i
		for i < len(s) && s[i] != ';' {
			c := s[i]
			if c < 0x21 && !isWSP(c) && c != '\r' && c != '\n' {
				return nil, fmt.Errorf("%w: control character in %q", errSyntax, name)
			}
			i++
		}
		vend := i
		for vend > vstart && isFWSChar(s[vend-1]) {
			vend--
		}
		for _, t := range ts {
			if t.Name == name {
				return nil, fmt.Errorf("%w: tag %q given twice", errSyntax, name)
			}
		}
		ts = append(ts, Tag{Name: name, Value: s[vstart:vend], Start: vstart, End: vend})
		if i == len(s) {
			return ts, nil
		}
		i++ // ';'
	}
}

func isNameChar(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		return true
	case first:
		return false
	}
	return '0' <= c && c <= '9' || c == '_'
}

func isWSP(c byte) bool     { return c == ' ' || c == '\t' }
func isFWSChar(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipFWS(s string, i int) int {
	for i < len(s) && isFWSChar(s[i]) {
		i++
	}
	return i
}

// stripFWS removes all whitespace, as base64 values (b=, bh=, p=) and
// h= lists are read.
func stripFWS(s string) string {
	if strings.IndexAny(s, " \t\r\n") < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !isFWSChar(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}
