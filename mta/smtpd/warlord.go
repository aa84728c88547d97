package smtpd

import (
	"bytes"
	"strings"
)

// Warlord watches a message as it streams in (after the DATA reader, so
// lines end in LF) for base64-encoded MIME parts that must be refused, as
// Spamcontrol's qmail-smtpd does (its qmail-smtpd(8), badmimetypes.cdb
// and badloadertypes.cdb):
//
//   - by type: the first MimeTypeLen characters of the part's first
//     base64 line, the encoded magic number of the file (such as
//     "TVqQAAMAA" for a Windows program), are a key of
//     control/badmimetypes.cdb;
//   - by loader: LoaderTypeLen characters anywhere in a base64 line of
//     the part, starting with one of the loader letters, are a key of
//     control/badloadertypes.cdb;
//   - by form ($BADMIMETYPE="!"): a base64 line holds a blank, which no
//     encoder writes and which hides text from scanners.
//
// It keeps only the current header block (bounded) and the open multipart
// boundaries, so the message itself is never held in memory.
type Warlord struct {
	cfg WarlordConfig

	line       []byte
	overflow   bool
	state      int
	header     []byte // Content-Type and Content-Transfer-Encoding of the current header block
	keepField  bool   // the header field being read is one of those
	boundaries []string
	ctype      string
	base64     bool
	hit        string

	first   []byte // the part's first base64 characters, up to MimeTypeLen
	carry   []byte // the last LoaderTypeLen-1 characters of the line before
	scratch []byte
}

// The significant lengths of the two tables' keys (Spamcontrol's
// MIMETYPE_LEN and LOADER_LEN).
const (
	MimeTypeLen   = 9
	LoaderTypeLen = 5
)

// WarlordConfig is what $BADMIMETYPE and $BADLOADERTYPE switch on.
type WarlordConfig struct {
	MimeTypes  map[string]bool // keys of badmimetypes.cdb; nil: not checked
	Whitespace bool            // BADMIMETYPE="!": refuse blanks in base64 lines
	// MimeRelayExempt (BADMIMETYPE="+") skips the type checks for relay
	// clients and authenticated users.
	MimeRelayExempt bool

	Loaders map[string]bool // keys of badloadertypes.cdb; nil: not checked
	// LoaderLetters are the first characters a loader may start with:
	// BADLOADERTYPE's letter, or those of the table's keys.
	LoaderLetters     string
	LoaderRelayExempt bool // BADLOADERTYPE="+"
}

const (
	wHeader = iota // in a header block (message or part)
	wBody          // in a body, watching for boundaries
	wFirst         // in a base64 body, before its first non-empty line
	wBase64        // in a base64 body, after it
)

// maxHeaderBlock bounds what is kept of one header block.
const maxHeaderBlock = 64 << 10

// NewWarlord returns a scanner, or nil when nothing is to be checked
// (relay says the client is a relay client or authenticated).
func NewWarlord(cfg WarlordConfig, relay bool) *Warlord {
	if relay && cfg.MimeRelayExempt {
		cfg.MimeTypes, cfg.Whitespace = nil, false
	}
	if relay && cfg.LoaderRelayExempt {
		cfg.Loaders = nil
	}
	if cfg.MimeTypes == nil && !cfg.Whitespace && cfg.Loaders == nil {
		return nil
	}
	return &Warlord{cfg: cfg}
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
	case wFirst, wBase64:
		if w.boundaryLine(line) {
			return
		}
		if len(bytes.TrimRight(line, " \t")) == 0 {
			// The blank line that ends the encoded text, or the
			// empty lines before it starts.
			if w.state == wBase64 {
				w.state = wBody
			}
			return
		}
		w.base64Line(line)
	case wBody:
		w.boundaryLine(line)
	}
}

// base64Line checks one line of a part's base64 text (cut at 1000
// bytes; an encoder writes 76). Blanks are dropped first, as a decoder
// drops them, and the text is followed across line ends, so that neither
// short lines nor blanks hide a key: for the usual 76-character lines
// this is Spamcontrol's check of each line.
func (w *Warlord) base64Line(line []byte) {
	w.state = wBase64
	if w.cfg.Whitespace && bytes.ContainsAny(bytes.TrimRight(line, " \t"), " \t") {
		w.hit = "base64_whitespace"
		return
	}
	buf := append(w.scratch[:0], w.carry...)
	start := len(buf)
	for _, c := range line {
		if c != ' ' && c != '\t' {
			buf = append(buf, c)
		}
	}
	w.scratch = buf
	if w.cfg.MimeTypes != nil && len(w.first) < MimeTypeLen {
		w.first = append(w.first, buf[start:min(len(buf), start+MimeTypeLen-len(w.first))]...)
		if len(w.first) == MimeTypeLen && w.cfg.MimeTypes[string(w.first)] {
			w.hit = "mime:" + string(w.first)
			return
		}
	}
	if w.cfg.Loaders == nil {
		return
	}
	for i := 0; i+LoaderTypeLen <= len(buf); i++ {
		if strings.IndexByte(w.cfg.LoaderLetters, buf[i]) >= 0 && w.cfg.Loaders[string(buf[i:i+LoaderTypeLen])] {
			w.hit = "loader:" + string(buf[i:i+LoaderTypeLen])
			return
		}
	}
	w.carry = append(w.carry[:0], buf[max(0, len(buf)-(LoaderTypeLen-1)):]...)
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
		w.state = wFirst
		w.first, w.carry = w.first[:0], w.carry[:0]
		return
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
