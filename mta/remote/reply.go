package remote

import (
	"bufio"
	"errors"
	"strconv"
	"strings"
)

// Limits on what a server may send in one reply. qmail keeps the first
// 5000 bytes of a reply's text for its report (HUGESMTPTEXT); a reply
// longer than MaxReplyBytes is a broken or hostile server.
const (
	MaxReplyText  = 5000
	MaxReplyBytes = 64 << 10
	MaxLineBytes  = 4096
)

// ErrBadReply reports bytes that are not an SMTP reply (RFC 5321 section
// 4.2): a line that does not start with three digits, continuation lines
// with another code, a line or reply over the limits.
var ErrBadReply = errors.New("malformed SMTP reply")

// Reply is one SMTP reply, possibly of several lines.
type Reply struct {
	Code  int      // 200-599 as sent; 0 never reaches a caller
	Lines []string // each line's text after the code and separator
	// Text is the reply as qmail-remote reports it: every line, code
	// included, CRs removed, each ending in LF, cut at MaxReplyText bytes.
	Text string
}

// Class is the first digit of the code: 2, 3, 4 or 5.
func (r Reply) Class() int { return r.Code / 100 }

// ReadReply reads one reply. Lines may end in CR LF or a bare LF.
func ReadReply(br *bufio.Reader) (Reply, error) {
	var r Reply
	var text strings.Builder
	total := 0
	for {
		line, err := readLine(br)
		if err != nil {
			return Reply{}, err
		}
		total += len(line) + 2
		if total > MaxReplyBytes {
			return Reply{}, ErrBadReply
		}
		if len(line) < 3 || !isDigits(line[:3]) || line[0] < '2' || line[0] > '5' {
			return Reply{}, ErrBadReply
		}
		code, _ := strconv.Atoi(line[:3])
		if r.Code != 0 && code != r.Code {
			return Reply{}, ErrBadReply
		}
		r.Code = code
		if text.Len() < MaxReplyText {
			text.WriteString(line)
			text.WriteByte('\n')
		}
		more := len(line) > 3 && line[3] == '-'
		if len(line) > 3 && line[3] != '-' && line[3] != ' ' {
			return Reply{}, ErrBadReply
		}
		if len(line) > 4 {
			r.Lines = append(r.Lines, line[4:])
		} else {
			r.Lines = append(r.Lines, "")
		}
		if !more {
			break
		}
	}
	r.Text = text.String()
	if len(r.Text) > MaxReplyText {
		r.Text = r.Text[:MaxReplyText]
	}
	return r, nil
}

// readLine returns one line without its LF and without one CR before it.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) > MaxLineBytes+2 {
			return "", ErrBadReply
		}
		b = append(b, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return "", err
	}
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return string(b), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Extensions are the service extensions a server lists in its EHLO reply
// (RFC 5321 section 4.1.1.1): keyword in upper case to its parameters.
type Extensions map[string]string

// ParseEHLO reads the extensions from an EHLO reply's lines; the first
// line is the server's greeting. Keywords are case-insensitive; a line
// that is not a keyword is ignored. The old "AUTH=LOGIN PLAIN" form some
// servers still send counts as AUTH.
func ParseEHLO(lines []string) Extensions {
	ext := Extensions{}
	for i, line := range lines {
		if i == 0 {
			continue
		}
		kw, params, _ := strings.Cut(strings.TrimSpace(line), " ")
		if k, v, ok := strings.Cut(kw, "="); ok && strings.EqualFold(k, "AUTH") {
			kw, params = k, strings.TrimSpace(v+" "+params)
		}
		if !isKeyword(kw) {
			continue
		}
		kw = strings.ToUpper(kw)
		params = strings.TrimSpace(params)
		if old, dup := ext[kw]; dup && old != "" {
			params = old + " " + params
		}
		ext[kw] = params
	}
	return ext
}

func isKeyword(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-') {
			return false
		}
	}
	return true
}

// Has reports whether the server offers keyword kw.
func (e Extensions) Has(kw string) bool {
	_, ok := e[kw]
	return ok
}

// SizeLimit is the server's SIZE parameter (RFC 1870): 0 when it gave none
// or gave no usable number (no limit declared).
func (e Extensions) SizeLimit() int64 {
	v, ok := e["SIZE"]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// AuthMechanisms lists the SASL mechanisms after AUTH, in upper case.
func (e Extensions) AuthMechanisms() []string {
	var out []string
	for _, m := range strings.Fields(e["AUTH"]) {
		out = append(out, strings.ToUpper(m))
	}
	return out
}
