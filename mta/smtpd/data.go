package smtpd

import (
	"bufio"
	"bytes"
	"io"
	"sync"
)

// DataResult describes a message read by ReadData.
type DataResult struct {
	Bytes  int64 // bytes of the message as stored (LF line ends)
	TooBig bool  // more than the limit arrived; the rest was discarded
	Hops   int   // Received: and Delivered-To: lines in the header
	BareLF int   // line feeds that were not preceded by a carriage return
	BareCR int   // carriage returns not followed by a line feed
}

// data reader states
const (
	sBOL   = iota // at the start of a line (after CRLF, or at the start)
	sText         // inside a line
	sCR           // after a CR inside a line
	sDot          // after a '.' at the start of a line
	sDotCR        // after ".\r" at the start of a line
)

// ReadData reads a message in SMTP DATA form from r until the line that
// holds a single dot, and writes it to w in the form qmail keeps messages:
// CRLF becomes LF, and the leading dot of a dot-stuffed line is removed.
//
// Only CR LF "." CR LF ends the message (RFC 5321 section 4.1.1.4). A
// bare LF or a bare CR is data, never a line end, so no variant such as
// LF "." LF, CR LF "." LF or CR "." CR can end the message early: that is
// what SMTP smuggling relies on, and here the smuggled text stays inside
// the one message. Bare LFs and CRs are counted so the caller can log them.
//
// At most limit bytes are written (limit < 0: no limit); the rest is read
// and discarded so the dialogue stays in step, and TooBig is set.
func ReadData(r *bufio.Reader, w io.Writer, limit int64) (DataResult, error) {
	return readDataWith(r, w, limit, true)
}

// readDataWith is ReadData; without bulk every byte goes through the state
// machine, the reference FuzzReadDataBulkAsByteAtATime holds bulk to.
func readDataWith(r *bufio.Reader, w io.Writer, limit int64, bulk bool) (DataResult, error) {
	var res DataResult
	out := dataWriters.Get().(*bufio.Writer)
	out.Reset(discardAfter{w: w, limit: limit, res: &res})
	defer func() {
		out.Reset(nil)
		dataWriters.Put(out)
	}()
	hops := hopCounter{}
	state := sBOL
	put := func(c byte) {
		out.WriteByte(c)
		hops.feed(c, &res)
	}
	for {
		if bulk && state == sText {
			// The rest of the line, as far as it is buffered, holds no CR
			// or LF: copied in one go rather than a byte at a time.
			if n := r.Buffered(); n > 0 {
				buf, _ := r.Peek(n)
				if end := plainRun(buf); end > 0 {
					out.Write(buf[:end])
					if !hops.inBody {
						for _, c := range buf[:end] {
							hops.feed(c, &res)
						}
					}
					r.Discard(end)
				}
			}
		}
		c, err := r.ReadByte()
		if err != nil {
			out.Flush()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return res, err
		}
		switch state {
		case sBOL:
			if c == '.' {
				state = sDot
				continue
			}
			state = text(c, put, &res)
		case sText:
			state = text(c, put, &res)
		case sCR:
			switch c {
			case '\n':
				put('\n')
				state = sBOL
			case '\r':
				res.BareCR++
				put('\r')
			default:
				res.BareCR++
				put('\r')
				state = text(c, put, &res)
			}
		case sDot:
			if c == '\r' {
				state = sDotCR
				continue
			}
			// A dot-stuffed line: the first dot is dropped.
			state = text(c, put, &res)
		case sDotCR:
			if c == '\n' {
				if err := out.Flush(); err != nil {
					return res, err
				}
				return res, nil
			}
			// ".\r" and then not LF: the line is data; the dot
			// was stuffing, the CR is a bare one.
			res.BareCR++
			put('\r')
			if c == '\r' {
				state = sCR
				continue
			}
			state = text(c, put, &res)
		}
	}
}

// dataWriters are ReadData's buffers, kept for the next message of a
// process that takes many (a reused qmail-smtpd).
var dataWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16<<10) }}

// plainRun is the length of b's start that holds neither CR nor LF.
func plainRun(b []byte) int {
	end := len(b)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		end = i
	}
	if i := bytes.IndexByte(b[:end], '\r'); i >= 0 {
		end = i
	}
	return end
}

// text handles one byte inside a line and returns the next state.
func text(c byte, put func(byte), res *DataResult) int {
	switch c {
	case '\r':
		return sCR
	case '\n':
		// A bare LF is kept as a line end in the stored message but does
		// not start a new SMTP line: a following "." is not special.
		res.BareLF++
		put('\n')
		return sText
	}
	put(c)
	return sText
}

// discardAfter passes the first limit bytes and counts the rest.
type discardAfter struct {
	w     io.Writer
	limit int64
	res   *DataResult
}

func (d discardAfter) Write(p []byte) (int, error) {
	n := len(p)
	keep := int64(n)
	if d.limit >= 0 && d.res.Bytes+keep > d.limit {
		keep = d.limit - d.res.Bytes
		if keep < 0 {
			keep = 0
		}
		d.res.TooBig = true
	}
	d.res.Bytes += int64(n)
	// Written even when empty: the writer learns that input arrives
	// (qmail-smtpd renews the client's deadline on it).
	if _, err := d.w.Write(p[:keep]); err != nil {
		return 0, err
	}
	return n, nil
}

// hopCounter counts header lines that start with "Received:" or
// "Delivered-To:" (case-insensitively), as qmail-smtpd does to stop loops.
type hopCounter struct {
	inBody bool
	pos    int  // bytes of the current line seen
	alive  byte // bit 0: still matching "received:", bit 1: "delivered-to:"
}

const (
	receivedPrefix    = "received:"
	deliveredToPrefix = "delivered-to:"
)

func (h *hopCounter) feed(c byte, res *DataResult) {
	if h.inBody {
		return
	}
	if c == '\n' {
		if h.pos == 0 {
			h.inBody = true
		}
		h.pos = 0
		return
	}
	if h.pos == 0 {
		h.alive = 3
	}
	lc := c
	if 'A' <= lc && lc <= 'Z' {
		lc += 'a' - 'A'
	}
	if h.alive&1 != 0 {
		if h.pos >= len(receivedPrefix) || receivedPrefix[h.pos] != lc {
			h.alive &^= 1
		} else if h.pos == len(receivedPrefix)-1 {
			res.Hops++
			h.alive &^= 1
		}
	}
	if h.alive&2 != 0 {
		if h.pos >= len(deliveredToPrefix) || deliveredToPrefix[h.pos] != lc {
			h.alive &^= 2
		} else if h.pos == len(deliveredToPrefix)-1 {
			res.Hops++
			h.alive &^= 2
		}
	}
	h.pos++
}
