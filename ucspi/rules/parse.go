package rules

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strconv"
)

// MaxLineLength bounds one rules line; a longer one is a parse error rather
// than an unbounded buffer.
const MaxLineLength = 1 << 20

// Rule is one compiled rules line: the cdb keys it adds (several for an
// a.b.c.X-Y range) and the value stored under each.
type Rule struct {
	Line  int
	Keys  []string
	Value []byte
	CIDR  []netip.Prefix // the prefixes among Keys, for the CIDR index
}

// ParseError names the rules line tcprules refuses. Its text is the
// original's, "unable to parse this line: LINE", whatever the reason; Line
// and Reason are for callers that want to say more.
type ParseError struct {
	Line   int
	Text   string // the line, trailing white space removed
	Reason string // why, when it helps; "" for plain syntax errors
}

func (e *ParseError) Error() string {
	return "unable to parse this line: " + e.Text
}

// Parse reads rules text and hands each rule to emit in order. Reading stops
// at end of input; a last line without a newline counts. Lines starting with
// '#' and lines that are empty once trailing spaces, tabs and the newline are
// removed are skipped. Read errors are returned as they are; syntax errors as
// *ParseError.
func Parse(r io.Reader, emit func(Rule) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for n := 1; ; n++ {
		var err error
		line, err = readLine(br, line[:0])
		if err == errLineTooLong {
			return &ParseError{Line: n, Text: string(line[:100]) + "...", Reason: "line too long"}
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		if rule, skip, perr := parseLine(n, line); perr != nil {
			return perr
		} else if !skip {
			if eerr := emit(rule); eerr != nil {
				return eerr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine appends the next line, newline included, to buf.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > MaxLineLength {
			return buf, errLineTooLong
		}
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

// parseLine compiles one line (newline still attached). skip reports a
// comment or blank line.
func parseLine(n int, raw []byte) (rule Rule, skip bool, err error) {
	if len(raw) > 0 && raw[0] == '#' {
		return Rule{}, true, nil
	}
	line := bytes.TrimRight(raw, " \t\n")
	if len(line) == 0 {
		return Rule{}, true, nil
	}
	fail := func(reason string) (Rule, bool, error) {
		return Rule{}, false, &ParseError{Line: n, Text: string(line), Reason: reason}
	}

	// With the IPv6 patch an address may hold colons: it ends at the first
	// colon followed by "allow" or "deny".
	colon := -1
	for i, c := range line {
		if c == ':' && (bytes.HasPrefix(line[i+1:], []byte("allow")) || bytes.HasPrefix(line[i+1:], []byte("deny"))) {
			colon = i
			break
		}
	}
	if colon < 0 {
		if bytes.IndexByte(line, ':') < 0 {
			return fail("no colon")
		}
		return fail("no :allow or :deny")
	}
	address := string(line[:colon])
	rest := line[colon+1:]

	var value []byte
	if bytes.HasPrefix(rest, []byte("deny")) {
		value = append(value, 'D', 0)
		rest = rest[4:]
	} else {
		rest = rest[5:]
	}
	for len(rest) > 0 {
		if rest[0] != ',' {
			return fail("")
		}
		eq := bytes.IndexByte(rest, '=')
		if eq < 0 || eq+1 >= len(rest) {
			return fail("")
		}
		quote := rest[eq+1]
		end := bytes.IndexByte(rest[eq+2:], quote)
		if end < 0 {
			return fail("")
		}
		value = append(value, '+')
		value = append(value, rest[1:eq+1]...)
		value = append(value, rest[eq+2:eq+2+end]...)
		value = append(value, 0)
		rest = rest[eq+2+end+1:]
	}

	keys, ok := expandRange(address)
	if !ok {
		return fail("")
	}
	rule = Rule{Line: n, Value: value}
	for _, k := range keys {
		if !bytes.ContainsAny([]byte(k), "=@") {
			p, isCIDR, cerr := parseCIDR(k)
			if cerr != nil {
				return fail(cerr.Error())
			}
			if isCIDR {
				rule.CIDR = append(rule.CIDR, p)
				k = cidrKey(p)
			}
		}
		rule.Keys = append(rule.Keys, k)
	}
	return rule, false, nil
}

// expandRange implements 0.88's a.b.c.X-Y: in an address without '=' or '@'
// the dot-separated component holding the first '-' is replaced by each
// number from X to Y (Y capped at 255; nothing when X > Y), the text around it
// kept. X and Y must be all digits (an empty one is 0) and wrap like C's
// unsigned long. ok is false for non-digits.
func expandRange(address string) (keys []string, ok bool) {
	dash := -1
	for i := 0; i < len(address); i++ {
		switch address[i] {
		case '=', '@':
			return []string{address}, true
		case '-':
			if dash < 0 {
				dash = i
			}
		}
	}
	if dash < 0 {
		return []string{address}, true
	}
	left := 0
	for i := dash - 1; i >= 0; i-- {
		if address[i] == '.' {
			left = i + 1
			break
		}
	}
	right := len(address)
	for i := dash + 1; i < len(address); i++ {
		if address[i] == '.' {
			right = i
			break
		}
	}
	bot, ok1 := decimal(address[left:dash])
	top, ok2 := decimal(address[dash+1 : right])
	if !ok1 || !ok2 {
		return nil, false
	}
	if top > 255 {
		top = 255
	}
	for v := bot; v <= top; v++ {
		keys = append(keys, address[:left]+strconv.FormatUint(v, 10)+address[right:])
	}
	return keys, true
}

// decimal is scan_ulong over the whole of s: digits only, wrapping at 2^64.
func decimal(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
