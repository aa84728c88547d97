package local

import (
	"bytes"
	"errors"
	"strings"
)

// Kind is the type of one delivery instruction (dot-qmail(5)).
type Kind int

// The instruction kinds, by a line's first character.
const (
	Comment  Kind = iota // '#', an empty line after the first, '+' other than "+list"
	Program              // '|': the rest is run with sh -c
	Forward              // '&' and the rest, or a line starting with anything else
	Mbox                 // '.' or '/', not ending in '/'
	Maildir              // '.' or '/', ending in '/'
	ListOnly             // "+list": from here on only forwards are allowed
)

var kindNames = [...]string{"comment", "program", "forward", "mbox", "maildir", "list"}

func (k Kind) String() string { return kindNames[k] }

// Instruction is one line of a .qmail file.
type Instruction struct {
	Kind Kind
	Arg  string // the command, address or path
}

// ErrBlankFirstLine is qmail-local's refusal of a .qmail file whose first
// line is blank (it may be a truncated or half-written file).
var ErrBlankFirstLine = errors.New("first line of .qmail file is blank")

// Parse splits a .qmail file into instructions: a final newline is
// implied, trailing spaces and tabs are removed, a NUL byte ends a line's
// text as it does for qmail-local's C strings, and the kind comes from the
// first character. The first line must not be blank.
func Parse(b []byte) ([]Instruction, error) {
	var out []Instruction
	for n := 0; len(b) > 0; n++ {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) > 0 && line[0] == 0 {
			line = line[:0]
		}
		if len(line) == 0 {
			if n == 0 {
				return nil, ErrBlankFirstLine
			}
			continue
		}
		in := classify(line)
		// qmail-local picks the kind from the whole line but uses the
		// text as a C string, up to a NUL.
		if i := strings.IndexByte(in.Arg, 0); i >= 0 {
			in.Arg = in.Arg[:i]
		}
		out = append(out, in)
	}
	return out, nil
}

func classify(line []byte) Instruction {
	s := string(line)
	switch line[0] {
	case '#':
		return Instruction{Comment, s}
	case '.', '/':
		if line[len(line)-1] == '/' {
			return Instruction{Maildir, s}
		}
		return Instruction{Mbox, s}
	case '|':
		return Instruction{Program, s[1:]}
	case '+':
		if c, _, _ := strings.Cut(s, "\x00"); c == "+list" {
			return Instruction{ListOnly, s}
		}
		return Instruction{Comment, s}
	case '&':
		return Instruction{Forward, s[1:]}
	}
	return Instruction{Forward, s}
}
