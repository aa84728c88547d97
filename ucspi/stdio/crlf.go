package stdio

// AddCR appends src to dst with a CR inserted before every LF, as addcr(1)
// does: a CR already there is not looked at, so CRLF becomes CRCRLF.
func AddCR(dst, src []byte) []byte {
	for _, c := range src {
		if c == '\n' {
			dst = append(dst, '\r')
		}
		dst = append(dst, c)
	}
	return dst
}

// DelCR removes a CR that comes right before an LF, as delcr(1) does. A
// lone CR stays, and so does a CR at the very end of the stream (Flush).
// The zero value is ready; state carries across calls, so a CR at the end of
// one chunk and an LF at the start of the next are seen as CRLF.
type DelCR struct{ pendingCR bool }

// Write appends the converted src to dst.
func (d *DelCR) Write(dst, src []byte) []byte {
	for _, c := range src {
		if d.pendingCR {
			d.pendingCR = false
			if c != '\n' {
				dst = append(dst, '\r')
			}
		}
		if c == '\r' {
			d.pendingCR = true
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// Flush appends a CR held back at the end of the stream.
func (d *DelCR) Flush(dst []byte) []byte {
	if d.pendingCR {
		d.pendingCR = false
		dst = append(dst, '\r')
	}
	return dst
}

// FixCR inserts a CR before every LF that lacks one, as fixcrio(1) does for
// each direction. The state carries across calls.
type FixCR struct{ lastCR bool }

// Write appends the converted src to dst.
func (f *FixCR) Write(dst, src []byte) []byte {
	for _, c := range src {
		if c == '\n' && !f.lastCR {
			dst = append(dst, '\r')
		}
		dst = append(dst, c)
		f.lastCR = c == '\r'
	}
	return dst
}
