package dkim

import (
	"bytes"
	"strings"
)

// Field is one header field as it stands in the message.
type Field struct {
	Name string // the name as written, without the colon
	Raw  []byte // the whole field, continuation lines and line ends included
}

// Value is the field's text after the colon, line ends and all.
func (f Field) Value() string {
	if i := bytes.IndexByte(f.Raw, ':'); i >= 0 {
		return string(f.Raw[i+1:])
	}
	return ""
}

// Is says whether the field has the name (case-insensitively).
func (f Field) Is(name string) bool { return strings.EqualFold(f.Name, name) }

// Split cuts a message into its header fields and its body. The header
// ends at the first empty line; a message without one is all header. A
// line that starts with a space or tab continues the field before; any
// other line starts a field, named by what stands before its colon.
// Line ends are LF, CR LF or a lone CR.
func Split(msg []byte) (fields []Field, body []byte, hasBody bool) {
	i, start := 0, 0 // start: where the last field began
	for i < len(msg) {
		end, next := lineEnd(msg, i)
		if end == i { // the empty line
			return fields, msg[next:], true
		}
		if (msg[i] == ' ' || msg[i] == '\t') && len(fields) > 0 {
			fields[len(fields)-1].Raw = msg[start:next]
		} else {
			start = i
			name := msg[i:end]
			if c := bytes.IndexByte(name, ':'); c >= 0 {
				name = name[:c]
			}
			fields = append(fields, Field{Name: string(bytes.TrimRight(name, " \t")), Raw: msg[i:next]})
		}
		i = next
	}
	return fields, nil, false
}

// lineEnd returns where the line starting at i ends (before its line
// end) and where the next line starts.
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
