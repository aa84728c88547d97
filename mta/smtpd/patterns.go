package smtpd

import "strings"

// PatternList is a badmailfrom, badrcptto or badhelo list. Each line is
// matched case-insensitively against the whole value:
//
//	user@example.com   exactly this (qmail)
//	@example.com       any address at this domain (qmail)
//	*.example.com      a glob: '*' any run of bytes, '?' one byte
//	!good@example.com  an exception: a later '!' line that matches
//	                   takes the value off the list again
//
// The last line that matches decides, so exceptions follow the rules they
// make exceptions to.
type PatternList struct {
	lines []pattern
}

type pattern struct {
	text   string
	except bool
	glob   bool
}

// NewPatternList compiles the lines of a control file.
func NewPatternList(lines []string) *PatternList {
	p := &PatternList{}
	for _, l := range lines {
		l = strings.ToLower(strings.TrimSpace(l))
		pt := pattern{text: l}
		if strings.HasPrefix(l, "!") {
			pt.except = true
			pt.text = l[1:]
		}
		pt.glob = strings.ContainsAny(pt.text, "*?")
		if pt.text != "" {
			p.lines = append(p.lines, pt)
		}
	}
	return p
}

// Len is the number of entries.
func (p *PatternList) Len() int {
	if p == nil {
		return 0
	}
	return len(p.lines)
}

// Match says whether value (an address or a HELO name) is on the list.
func (p *PatternList) Match(value string) bool {
	if p == nil {
		return false
	}
	v := strings.ToLower(value)
	at := strings.LastIndexByte(v, '@')
	listed := false
	for _, pt := range p.lines {
		var hit bool
		switch {
		case pt.glob:
			hit = glob(pt.text, v)
		case strings.HasPrefix(pt.text, "@"):
			hit = at >= 0 && v[at:] == pt.text
		default:
			hit = v == pt.text
		}
		if hit {
			listed = !pt.except
		}
	}
	return listed
}

// glob matches with '*' and '?', iteratively: no input can make it take
// more than len(p)*len(s) steps.
func glob(p, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(p) && (p[px] == '?' || p[px] == s[sx]):
			px++
			sx++
		case px < len(p) && p[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}
