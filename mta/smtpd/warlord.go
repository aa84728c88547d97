package smtpd

import (
	"bytes"
	"strings"
)

// Warlord watches a message as it streams in (after the DATA reader, so
// lines end in LF) for base64-encoded MIME parts that must be refused:
//
//   - by MIME type: the part's Content-Type is listed in
//     control/badmimetypes (checked when $BADMIMETYPE is set);
//   - by loader signature: the first line of the part's base64 body starts
//     with a line of control/badloadertypes, the base64 text of a program
//     loader's first bytes, such as "TVqQAAMAAAAEAAAA" for a Windows
//     executable (checked when $BADLOADERTYPE is set).
//
// It keeps only the current header block (bounded) and the open multipart
// boundaries, so the message itself is never held in memory.
type Warlord struct {
	mimeTypes []string // lowercased types
	loaders   []string // base64 prefixes

	line       []byte
	overflow   bool
	state      int
	header     []byte // Content-Type and Content-Transfer-Encoding of the current header block
	keepField  bool   // the header field being read is one of those
	start      []byte // the first base64 characters of the current part
	maxLoader  int    // length of the longest loader signature
	boundaries []string
	ctype      string
	base64     bool
	hit        string
}

const (
	wHeader    = iota // in a header block (message or part)
	wBody             // in a body, watching for boundaries
	wFirstLine        // in a base64 body, before its first non-empty line
)

// maxHeaderBlock bounds what is kept of one header block.
const maxHeaderBlock = 64 << 10

// NewWarlord returns a scanner, or nil when nothing is to be checked.
func NewWarlord(mimeTypes, loaders []string) *Warlord {
	if len(mimeTypes) == 0 && len(loaders) == 0 {
		return nil
	}
	w := &Warlord{}
	for _, m := range mimeTypes {
		w.mimeTypes = append(w.mimeTypes, strings.ToLower(strings.TrimSpace(m)))
	}
	for _, l := range loaders {
		if l = strings.TrimSpace(l); l != "" {
			w.loaders = append(w.loaders, l)
			w.maxLoader = max(w.maxLoader, len(l))
		}
	}
	return w
}

// Hit names what was found, "" when the message is acceptable.
func (w *Warlord) Hit() string {
	if w == nil {
		return ""
	}
	return w.hit
}

// Write feeds message bytes.
func (w *Warlord) Write(p []byte) (int, error) {
	if w.hit != "" {
		return len(p), nil
	}
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			w.appendLine(rest)
			break
		}
		w.appendLine(rest[:i])
		w.endLine()
		rest = rest[i+1:]
	}
	return len(p), nil
}

// Lines longer than 1000 bytes are only watched at their start: that is
// all a boundary or a header needs.
func (w *Warlord) appendLine(b []byte) {
	room := 1000 - len(w.line)
	if len(b) > room {
		b = b[:room]
		w.overflow = true
	}
	w.line = append(w.line, b...)
}

func (w *Warlord) endLine() {
	line := bytes.TrimRight(w.line, "\r")
	w.line = w.line[:0]
	w.overflow = false
	switch w.state {
	case wHeader:
		if len(line) == 0 {
			w.headerDone()
			return
		}
		// Only the two fields Warlord reads are kept, so no amount of
		// other fields can push them out of the bounded block.
		if line[0] == ' ' || line[0] == '\t' {
			if w.keepField {
				w.header = append(w.header, ' ')
				w.header = append(w.header, bytes.TrimLeft(line, " \t")...)
			}
		} else {
			name, _, _ := bytes.Cut(line, []byte(":"))
			name = bytes.TrimSpace(name)
			w.keepField = bytes.EqualFold(name, []byte("content-type")) || bytes.EqualFold(name, []byte("content-transfer-encoding"))
			if w.keepField {
				w.header = append(w.header, '\n')
				w.header = append(w.header, line...)
			}
		}
		if len(w.header) > maxHeaderBlock {
			w.header = w.header[:maxHeaderBlock]
		}
	case wFirstLine:
		// The signature is compared with the start of the base64 text
		// whatever its line length: a reader decodes short lines too.
		if w.boundaryLine(line) {
			w.checkLoaders()
			return
		}
		for _, c := range line {
			if c != ' ' && c != '\t' && len(w.start) < w.maxLoader {
				w.start = append(w.start, c)
			}
		}
		if len(w.start) >= w.maxLoader {
			w.checkLoaders()
			w.state = wBody
		}
	case wBody:
		w.boundaryLine(line)
	}
}

// checkLoaders compares the collected start of a base64 part with the
// loader signatures.
func (w *Warlord) checkLoaders() {
	for _, sig := range w.loaders {
		if bytes.HasPrefix(w.start, []byte(sig)) {
			w.hit = "loader " + sig
			break
		}
	}
	w.start = w.start[:0]
}

// boundaryLine starts a new part (or ends a multipart) on a boundary.
func (w *Warlord) boundaryLine(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("--")) {
		return false
	}
	for i := len(w.boundaries) - 1; i >= 0; i-- {
		b := w.boundaries[i]
		rest, ok := bytes.CutPrefix(line[2:], []byte(b))
		if !ok {
			continue
		}
		if bytes.HasPrefix(rest, []byte("--")) {
			w.boundaries = w.boundaries[:i]
			w.state = wBody
			return true
		}
		w.boundaries = w.boundaries[:i+1]
		w.state = wHeader
		w.header = w.header[:0]
		w.keepField = false
		return true
	}
	return false
}

func (w *Warlord) headerDone() {
	ctype, params := "", ""
	cte := ""
	for _, h := range strings.Split(string(w.header), "\n") {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-type":
			v := strings.TrimSpace(value)
			t, p, _ := strings.Cut(v, ";")
			ctype, params = strings.ToLower(strings.TrimSpace(t)), p
		case "content-transfer-encoding":
			cte = strings.ToLower(strings.TrimSpace(value))
		}
	}
	w.header = w.header[:0]
	w.keepField = false
	w.ctype = ctype
	w.base64 = cte == "base64"
	if strings.HasPrefix(ctype, "multipart/") {
		if b := boundaryParam(params); b != "" && len(w.boundaries) < 32 {
			w.boundaries = append(w.boundaries, b)
		}
		w.state = wBody
		return
	}
	if w.base64 {
		for _, m := range w.mimeTypes {
			if ctype == m {
				w.hit = "mime type " + ctype
				return
			}
		}
		if len(w.loaders) > 0 {
			w.state = wFirstLine
			w.start = w.start[:0]
			return
		}
	}
	w.state = wBody
}

// boundaryParam finds boundary=... in Content-Type parameters.
func boundaryParam(params string) string {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "boundary") {
			continue
		}
		v = strings.TrimSpace(v)
		v = strings.Trim(v, "\"")
		if len(v) > 0 && len(v) <= 200 {
			return v
		}
	}
	return ""
}
