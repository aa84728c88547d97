// Package inject is qmail-inject(8) and the programs around it: it reads a
// message, completes and rewrites its header as qmail-header(5) says, and
// hands it to qmail-queue; sendmail is the compatibility front end, and
// predate prepends a local-time Date field.
package inject

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// Field is one header field: its name as written and its value with the
// folding kept (continuation lines included, line ends removed).
type Field struct {
	Name  string
	Value string // everything after the colon, continuation lines joined by "\n"
}

// MaxHeader bounds the header qmail-inject keeps in memory.
const MaxHeader = 1 << 20

// ErrHeaderTooLong is ReadHeader's error for a header over MaxHeader bytes.
var ErrHeaderTooLong = errors.New("header too long")

// ReadHeader reads header fields from r up to the empty line (which is
// consumed) or up to the first line that is not a field (which is left
// for the body, as qmail-inject treats it). A leading "From " line of an
// mbox is dropped.
func ReadHeader(r *bufio.Reader) ([]Field, error) {
	var fields []Field
	total := 0
	first := true
	for {
		peek, err := r.Peek(1)
		if err != nil {
			if err == io.EOF {
				return fields, nil
			}
			return fields, err
		}
		if peek[0] == '\n' {
			r.ReadByte()
			return fields, nil
		}
		if (peek[0] == ' ' || peek[0] == '\t') && len(fields) > 0 {
			line, err := readLine(r)
			if err != nil && err != io.EOF {
				return fields, err
			}
			total += len(line)
			if total > MaxHeader {
				return fields, ErrHeaderTooLong
			}
			fields[len(fields)-1].Value += "\n" + line
			continue
		}
		line, ok, err := peekField(r)
		if err != nil {
			return fields, err
		}
		if !ok {
			if first {
				if b, _ := r.Peek(5); string(b) == "From " {
					readLine(r)
					first = false
					continue
				}
			}
			return fields, nil
		}
		first = false
		readLine(r)
		total += len(line)
		if total > MaxHeader {
			return fields, ErrHeaderTooLong
		}
		colon := strings.IndexByte(line, ':')
		fields = append(fields, Field{Name: strings.TrimRight(line[:colon], " \t"), Value: line[colon+1:]})
	}
}

// peekField looks at the next line without consuming it and says whether
// it starts a header field: a name of printable characters, then a colon.
func peekField(r *bufio.Reader) (string, bool, error) {
	for n := 64; ; n *= 2 {
		b, err := r.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[:i]
			return string(b), isFieldLine(b), nil
		}
		if err != nil {
			if err == io.EOF || err == bufio.ErrBufferFull {
				return string(b), isFieldLine(b), nil
			}
			return "", false, err
		}
	}
}

func isFieldLine(b []byte) bool {
	i := bytes.IndexByte(b, ':')
	if i <= 0 {
		return false
	}
	name := bytes.TrimRight(b[:i], " \t")
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// addressFields are the fields whose addresses qmail-inject rewrites.
var addressFields = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"apparently-to": true, "return-receipt-to": true, "errors-to": true, "mail-followup-to": true,
	"mail-reply-to": true, "resent-from": true, "resent-sender": true, "resent-reply-to": true,
	"resent-to": true, "resent-cc": true, "resent-bcc": true, "return-path": true, "notice-requested-upon-delivery-to": true,
}

// AddressSpan is where an address sits inside a field value.
type AddressSpan struct {
	Start, End int // byte offsets of the address text in the value
	Addr       string
}

// Addresses finds the addresses of a field value: in each comma-separated
// element, the text inside <angle brackets> if present, otherwise the
// element without comments and surrounding blanks. Group names
// ("list: a, b;") and empty groups are skipped.
func Addresses(v string) []AddressSpan {
	var out []AddressSpan
	elemStart := 0
	depth := 0 // parentheses
	inQuote := false
	angle := -1
	var angleSpan *AddressSpan
	flush := func(end int) {
		defer func() { angle = -1; angleSpan = nil }()
		if angleSpan != nil {
			out = append(out, *angleSpan)
			return
		}
		// No angle brackets: strip comments and blanks.
		s, e := elemStart, end
		elem := strings.TrimRight(v[s:e], ";")
		e = s + len(elem)
		text := stripComments(elem)
		t := strings.TrimSpace(text)
		if t == "" {
			return
		}
		// Locate the trimmed address inside the element.
		if i := strings.Index(v[s:e], t); i >= 0 {
			out = append(out, AddressSpan{Start: s + i, End: s + i + len(t), Addr: t})
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v):
			i++
		case inQuote:
			if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			depth++
		case c == '<':
			angle = i
		case c == '>' && angle >= 0:
			addr := v[angle+1 : i]
			angleSpan = &AddressSpan{Start: angle + 1, End: i, Addr: strings.TrimSpace(addr)}
		case c == ':' && angleSpan == nil && angle < 0:
			// group start: the element restarts after the colon
			elemStart = i + 1
		case c == ',' || c == ';':
			flush(i)
			elemStart = i + 1
		}
	}
	flush(len(v))
	return out
}

// stripComments replaces (comments) by spaces of the same length, so
// offsets stay valid.
func stripComments(s string) string {
	b := []byte(s)
	depth := 0
	inQuote := false
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\\' && i+1 < len(b):
			if depth > 0 {
				b[i], b[i+1] = ' ', ' '
			}
			i++
		case inQuote:
			if b[i] == '"' {
				inQuote = false
			}
		case b[i] == '(':
			depth++
			b[i] = ' '
		case depth > 0:
			if b[i] == ')' {
				depth--
			}
			b[i] = ' '
		case b[i] == '"':
			inQuote = true
		}
	}
	return string(b)
}
