package smtpd

import (
	"bufio"
	"bytes"
	"io"
)

// ChunkBody turns the chunks of one BDAT transaction (RFC 3030) into the
// form qmail keeps messages in, with what ReadData guarantees for DATA:
// the same bytes arrive as the same stored message. CR LF becomes LF; a
// bare LF is data, stored as a line end and counted; a bare CR stays a
// byte and is counted; a CR at the end of one chunk and an LF at the
// start of the next are one line end. Nothing in a chunk is a command
// and no dot is special: a chunk is exactly the octets its BDAT counted,
// so there is no end-of-data sequence to smuggle.
//
// The stored message is what ReadData stores for the same octets sent by
// DATA: dot-stuffed and, when they do not end in CR LF, followed by one
// (End adds the final LF that DATA's closing CR LF "." CR LF gives).
// At most limit bytes are written (limit < 0: no limit); beyond it the
// rest is counted and discarded and TooBig is set.
type ChunkBody struct {
	out   *bufio.Writer
	res   DataResult
	hops  hopCounter
	cr    bool // the last octet read was a CR, not yet written
	crlf  bool // the octets so far end in CR LF
	empty bool // no octet has arrived
}

// NewChunkBody starts a message that is written to w.
func NewChunkBody(w io.Writer, limit int64) *ChunkBody {
	c := &ChunkBody{empty: true}
	c.out = bufio.NewWriterSize(discardAfter{w: w, limit: limit, res: &c.res}, 16<<10)
	return c
}

// Chunk reads exactly n octets from r, one BDAT chunk. An error (the
// input ended or broke inside the chunk, or the writer failed) leaves the
// dialogue out of step: the session must end.
func (c *ChunkBody) Chunk(r *bufio.Reader, n int64) error {
	for n > 0 {
		want := r.Buffered()
		if want == 0 {
			// Fill the buffer: Peek(1) reads what the connection has.
			if _, err := r.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				c.out.Flush()
				return err
			}
			want = r.Buffered()
		}
		if int64(want) > n {
			want = int(n)
		}
		buf, _ := r.Peek(want)
		c.convert(buf)
		r.Discard(want)
		n -= int64(want)
	}
	// Each chunk goes on to the queue as it ends, so that TooBig is
	// known before the chunk is answered.
	return c.out.Flush()
}

// convert writes one piece of a chunk in stored form.
func (c *ChunkBody) convert(buf []byte) {
	if len(buf) == 0 {
		return
	}
	c.empty = false
	c.crlf = false
	for len(buf) > 0 {
		if c.cr {
			c.cr = false
			if buf[0] == '\n' {
				c.emit(lf)
				buf = buf[1:]
				if len(buf) == 0 {
					c.crlf = true
				}
				continue
			}
			c.res.BareCR++
			c.emit(cr)
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			c.emit(buf)
			return
		}
		c.emit(buf[:i])
		if buf[i] == '\n' {
			c.res.BareLF++
			c.emit(lf)
		} else {
			c.cr = true
		}
		buf = buf[i+1:]
	}
}

var (
	lf = []byte{'\n'}
	cr = []byte{'\r'}
)

func (c *ChunkBody) emit(p []byte) {
	c.out.Write(p)
	if !c.hops.inBody {
		for _, b := range p {
			c.hops.feed(b, &c.res)
		}
	}
}

// End finishes the message after the LAST chunk and says what it was.
func (c *ChunkBody) End() (DataResult, error) {
	if c.cr {
		// A CR at the very end: DATA's closing CR LF would have made it
		// a line end after a bare CR.
		c.cr = false
		c.res.BareCR++
		c.emit(cr)
		c.emit(lf)
	} else if !c.empty && !c.crlf {
		c.emit(lf)
	}
	err := c.out.Flush()
	return c.res, err
}
