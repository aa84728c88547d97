package users

import (
	"bytes"
	"fmt"
)

// Entry is one line of users/assign (qmail-users(5)):
//
//	=local:user:uid:gid:homedir:dash:ext:
//	+prefix:user:uid:gid:homedir:dash:pre:
//
// The fields are kept as written; qmail-newu stores them as they are.
type Entry struct {
	Wildcard bool   // a '+' line: Local is a prefix
	Local    string // the address or prefix, as written
	User     string
	UID      string
	GID      string
	Home     string
	Dash     string
	Ext      string // for a wildcard, the start of the extension
}

// FormatError is a users/assign line qmail-newu would refuse.
type FormatError struct {
	Line   int // 1-based
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("bad format in users/assign line %d: %s", e.Line, e.Reason)
}

// ParseAssign reads users/assign with qmail-newu's rules: lines up to the
// first line starting with '.', each ending in a newline, without NUL
// bytes, with a non-empty address before the first ':' and at least six
// more ':' after it (anything after the sixth is ignored). A line that
// starts with '+' is a wildcard; any other first character, '=' included,
// makes an exact entry. Without the final '.' line the file is refused,
// so that a truncated file is never taken for a complete one.
func ParseAssign(b []byte) ([]Entry, error) {
	var entries []Entry
	for n := 1; ; n++ {
		if len(b) > 0 && b[0] == '.' {
			return entries, nil
		}
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			if len(b) == 0 {
				return nil, &FormatError{n, "missing the final '.' line"}
			}
			return nil, &FormatError{n, "line does not end in a newline"}
		}
		e, err := parseAssignLine(b[:nl])
		if err != nil {
			return nil, &FormatError{n, err.Error()}
		}
		entries = append(entries, e)
		b = b[nl+1:]
	}
}

func parseAssignLine(line []byte) (Entry, error) {
	if bytes.IndexByte(line, 0) >= 0 {
		return Entry{}, fmt.Errorf("NUL byte")
	}
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return Entry{}, fmt.Errorf("no ':'")
	}
	if i == 0 {
		return Entry{}, fmt.Errorf("empty first field")
	}
	rest := bytes.SplitN(line[i+1:], []byte(":"), 7)
	if len(rest) < 7 {
		return Entry{}, fmt.Errorf("fewer than seven fields after the address")
	}
	return Entry{
		Wildcard: line[0] == '+',
		Local:    string(line[1:i]),
		User:     string(rest[0]),
		UID:      string(rest[1]),
		GID:      string(rest[2]),
		Home:     string(rest[3]),
		Dash:     string(rest[4]),
		Ext:      string(rest[5]),
	}, nil
}

// Key is the users/cdb key qmail-newu writes for the entry: "!" and the
// lowercased address followed by a NUL for an exact entry, "!" and the
// lowercased prefix for a wildcard.
func (e Entry) Key() []byte {
	k := append([]byte{'!'}, lowerASCII(e.Local)...)
	if !e.Wildcard {
		k = append(k, 0)
	}
	return k
}

// Value is the users/cdb data: user, uid, gid, home, dash and ext
// separated by NULs, without a final NUL.
func (e Entry) Value() []byte {
	var v []byte
	for i, f := range []string{e.User, e.UID, e.GID, e.Home, e.Dash, e.Ext} {
		if i > 0 {
			v = append(v, 0)
		}
		v = append(v, f...)
	}
	return v
}

// wildChars is the users/cdb record under the empty key: the last
// character of each non-empty wildcard prefix, each once, in order of
// first appearance. qmail-lspawn tries a shorter prefix only when it ends
// in one of these.
func wildChars(entries []Entry) []byte {
	var w []byte
	for _, e := range entries {
		if !e.Wildcard || e.Local == "" {
			continue
		}
		c := e.Local[len(e.Local)-1]
		if bytes.IndexByte(w, c) < 0 {
			w = append(w, c)
		}
	}
	return w
}

// assignment decodes a users/cdb value (with the wildcard's rest already
// appended to the extension) the way qmail-lspawn does: ids are the
// leading decimal digits of their fields.
func assignment(v []byte) (Assignment, error) {
	f := bytes.SplitN(v, []byte{0}, 6)
	if len(f) < 6 {
		return Assignment{}, fmt.Errorf("users/cdb record has %d fields, want 6", len(f))
	}
	uid, ok1 := scanUint(f[1])
	gid, ok2 := scanUint(f[2])
	if !ok1 || !ok2 {
		return Assignment{}, fmt.Errorf("users/cdb record has an id out of range")
	}
	return Assignment{
		User: string(f[0]),
		UID:  uid,
		GID:  gid,
		Home: string(f[3]),
		Dash: string(f[4]),
		Ext:  string(f[5]),
	}, nil
}

// scanUint is qmail's scan_ulong: the leading digits, 0 if none; ok is
// false for a number too large to be an id.
func scanUint(b []byte) (n int, ok bool) {
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		if n > 1<<31-1 {
			return 0, false
		}
	}
	return n, true
}

// Assignment returns what an exact entry assigns.
func (e Entry) Assignment() Assignment {
	a, _ := assignment(e.Value())
	return a
}
