package dkim

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Canon is a canonicalization algorithm (RFC 6376 section 3.4).
type Canon string

// The two canonicalizations.
const (
	Simple  Canon = "simple"
	Relaxed Canon = "relaxed"
)

// parseCanon reads c= ("header/body", either half optional; simple by
// default).
func parseCanon(v string) (header, body Canon, err error) {
	h, b, _ := strings.Cut(stripFWS(v), "/")
	header, body = Simple, Simple
	if h != "" {
		header = Canon(strings.ToLower(h))
	}
	if b != "" {
		body = Canon(strings.ToLower(b))
	}
	for _, c := range []Canon{header, body} {
		if c != Simple && c != Relaxed {
			return "", "", fmt.Errorf("unknown canonicalization %q", c)
		}
	}
	return header, body, nil
}

// canonHeader appends the canonical form of a field, ending in CR LF
// (RFC 6376 sections 3.4.1 and 3.4.2).
func canonHeader(dst []byte, raw []byte, c Canon) []byte {
	if c == Simple {
		for i := 0; i < len(raw); {
			end, next := lineEnd(raw, i)
			dst = append(dst, raw[i:end]...)
			dst = append(dst, '\r', '\n')
			i = next
		}
		return dst
	}
	colon := len(raw)
	for i, c := range raw {
		if c == ':' {
			colon = i
			break
		}
	}
	name := raw[:colon]
	for len(name) > 0 && isFWSChar(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	dst = append(dst, ':')
	if colon < len(raw) {
		dst = appendRelaxedValue(dst, raw[colon+1:])
	}
	return append(dst, '\r', '\n')
}

// appendRelaxedValue unfolds v, turns every run of whitespace into one
// space and drops whitespace at both ends.
func appendRelaxedValue(dst, v []byte) []byte {
	space := false
	started := false
	for _, c := range v {
		if c == '\r' || c == '\n' {
			continue // unfolding: a line end is removed, its WSP kept
		}
		if isWSP(c) {
			space = true
			continue
		}
		if space && started {
			dst = append(dst, ' ')
		}
		space, started = false, true
		dst = append(dst, c)
	}
	return dst
}

// bodyHasher writes the canonical form of a body to w, cut after limit
// bytes when limit >= 0 (l=), and counts the whole canonical length.
type bodyHasher struct {
	w       io.Writer
	c       Canon
	limit   int64 // -1: no limit
	n       int64 // canonical bytes so far (all of them, limit or not)
	blank   int64 // empty lines held back: only written if text follows
	buf     []byte
	written bool
}

func (h *bodyHasher) emit(b []byte) {
	h.n += int64(len(b))
	if h.limit >= 0 {
		room := h.limit - (h.n - int64(len(b)))
		if room <= 0 {
			return
		}
		if int64(len(b)) > room {
			b = b[:room]
		}
	}
	h.w.Write(b)
}

// line takes one line of the body, without its line end.
func (h *bodyHasher) line(l []byte) {
	if h.c == Relaxed {
		h.buf = h.buf[:0]
		space := false
		for _, c := range l {
			if isWSP(c) {
				space = true
				continue
			}
			if space {
				h.buf = append(h.buf, ' ')
			}
			space = false
			h.buf = append(h.buf, c)
		}
		l = h.buf
	}
	if len(l) == 0 {
		h.blank++
		return
	}
	for ; h.blank > 0; h.blank-- {
		h.emit(crlf)
	}
	h.emit(l)
	h.emit(crlf)
	h.written = true
}

var crlf = []byte("\r\n")

// finish ends the body: a simple body that is empty is one CR LF (RFC
// 6376 section 3.4.3); a relaxed one stays empty (section 3.4.4).
func (h *bodyHasher) finish() {
	if !h.written && h.c == Simple {
		h.emit(crlf)
	}
}

// hashBody writes body's canonical form to w and returns its length
// (uncut).
func hashBody(w io.Writer, body []byte, c Canon, limit int64) int64 {
	h := &bodyHasher{w: w, c: c, limit: limit}
	for i := 0; i < len(body); {
		end, next := lineEnd(body, i)
		h.line(body[i:end])
		i = next
	}
	h.finish()
	return h.n
}

var errNoFrom = errors.New("From field not signed")
