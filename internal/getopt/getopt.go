// Package getopt parses command-line options the way getopt(3) and djb's
// sgetopt do, which is what every daemontools, ucspi-tcp and qmail program
// expects: single-letter options that may be bundled (-vRHl0), an option
// argument either attached (-c100) or in the next word (-c 100), "--" ending
// the options, and the first word that is not an option ending them too, so
// that the rest (a child program and its arguments) is passed on untouched.
//
// The parser never prints. An unknown option or a missing argument comes
// back as an *Error whose text matches sgetopt's complaint; the command then
// prints its usage line and exits 100.
package getopt

import "fmt"

// Error reports an option the program does not know or one that lacks its
// argument.
type Error struct {
	Option  byte
	Missing bool // the option needs an argument and none was given
}

func (e *Error) Error() string {
	if e.Missing {
		return fmt.Sprintf("option requires an argument -- %c", e.Option)
	}
	return fmt.Sprintf("illegal option -- %c", e.Option)
}

// Parser walks the options of one argument vector. Args[0] is the program
// name and is skipped.
type Parser struct {
	args   []string
	spec   string
	index  int // word being parsed
	offset int // position inside a bundle of letters; 0 = start a new word
}

// New returns a parser for args (including args[0]) with an optstring in
// getopt(3) form: each letter is an option, a letter followed by ':' takes an
// argument.
func New(args []string, optstring string) *Parser {
	return &Parser{args: args, spec: optstring, index: 1}
}

// Next returns the next option letter and its argument. ok is false once the
// options are over; err is non-nil for an unknown option or a missing
// argument, after which parsing should stop.
func (p *Parser) Next() (opt byte, arg string, ok bool, err error) {
	if p.offset == 0 {
		if p.index >= len(p.args) {
			return 0, "", false, nil
		}
		w := p.args[p.index]
		if len(w) < 2 || w[0] != '-' {
			return 0, "", false, nil
		}
		if w == "--" {
			p.index++
			return 0, "", false, nil
		}
		p.offset = 1
	}
	w := p.args[p.index]
	c := w[p.offset]
	p.offset++
	takes, known := p.lookup(c)
	if !known {
		p.advanceIfDone(w)
		return c, "", true, &Error{Option: c}
	}
	if !takes {
		p.advanceIfDone(w)
		return c, "", true, nil
	}
	if p.offset < len(w) {
		arg = w[p.offset:]
		p.index++
		p.offset = 0
		return c, arg, true, nil
	}
	p.index++
	p.offset = 0
	if p.index >= len(p.args) {
		return c, "", true, &Error{Option: c, Missing: true}
	}
	arg = p.args[p.index]
	p.index++
	return c, arg, true, nil
}

func (p *Parser) advanceIfDone(w string) {
	if p.offset >= len(w) {
		p.index++
		p.offset = 0
	}
}

func (p *Parser) lookup(c byte) (takesArg, known bool) {
	if c == ':' {
		return false, false
	}
	for i := 0; i < len(p.spec); i++ {
		if p.spec[i] == c {
			return i+1 < len(p.spec) && p.spec[i+1] == ':', true
		}
	}
	return false, false
}

// Rest returns the words after the options.
func (p *Parser) Rest() []string {
	i := p.index
	if p.offset != 0 {
		i++
	}
	if i > len(p.args) {
		i = len(p.args)
	}
	return p.args[i:]
}
