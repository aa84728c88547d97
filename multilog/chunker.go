package multilog

import (
	"bytes"
	"time"
)

// The methods here replay 0.76's output path for one directory: a 512-byte
// buffer (buffer_put, buffer_PUTC, buffer_flush) in front of c_write, which
// decides where current ends. Bytes are appended to d.out and written in
// large chunks; only the rotation decisions follow the small buffer.
const (
	dtBufSize  = 512  // 0.76's per-directory output buffer
	dtInSize   = 1024 // 0.76's input buffer: a flush point after each read
	dtTolerate = 2000 // end current at a newline within this of the size
)

// put is buffer_put of a piece of a line no longer than 1000 bytes.
func (d *logDir) put(p []byte) {
	if d.since.IsZero() && d.cfg.MaxAge > 0 {
		d.since = time.Now()
	}
	if len(p) > dtBufSize-d.vp {
		d.flush()
		if len(p) > dtBufSize {
			// Too big for the buffer: 0.76 hands it to c_write directly.
			start := len(d.out)
			d.out = append(d.out, p...)
			d.commit(start)
			return
		}
	}
	d.out = append(d.out, p...)
	d.vp += len(p)
}

// putBytes is buffer_PUTC applied to each byte of p in turn, as 0.76
// copies the part of a long line after its first 1000 bytes.
func (d *logDir) putBytes(p []byte) {
	for len(p) > 0 {
		if d.vp == dtBufSize {
			d.flush()
		}
		n := min(len(p), dtBufSize-d.vp)
		d.out = append(d.out, p[:n]...)
		d.vp += n
		p = p[n:]
	}
}

// putNewline is buffer_PUTC of the newline ending a line.
func (d *logDir) putNewline() {
	if d.vp == dtBufSize {
		d.flush()
	}
	d.out = append(d.out, '\n')
	d.vp++
}

// flush is buffer_flush: the buffered bytes go to c_write.
func (d *logDir) flush() {
	if d.vp == 0 {
		return
	}
	start := len(d.out) - d.vp
	d.vp = 0
	d.commit(start)
	if len(d.out) >= writeChunk {
		d.drain()
	}
}

// commit runs 0.76's allwrite loop of c_write over d.out[start:]: c_write
// rotates first if current is full, writes no further than the size
// limit, stops after the last newline once near the limit, and rotates
// after a write that ends with a newline near the limit.
func (d *logDir) commit(start int) {
	size := d.cfg.Size
	pos := start
	for pos < len(d.out) {
		if d.bytes >= size {
			d.rotateAt(pos)
			pos = 0
		}
		n := len(d.out) - pos
		if uint64(n) >= size-d.bytes {
			n = int(size - d.bytes)
		}
		if d.bytes+uint64(n) >= size-dtTolerate {
			if i := bytes.LastIndexByte(d.out[pos:pos+n], '\n'); i >= 0 {
				n = i + 1
			}
		}
		d.bytes += uint64(n)
		pos += n
		if d.bytes >= size-dtTolerate && d.out[pos-1] == '\n' {
			d.rotateAt(pos)
			pos = 0
		}
	}
}

// rotateAt writes d.out[:pos] to current, rotates, and keeps the rest.
func (d *logDir) rotateAt(pos int) {
	d.writeOut(d.out[:pos])
	d.out = d.out[:copy(d.out, d.out[pos:])]
	d.fullcurrent()
	if len(d.out) > 0 && d.cfg.MaxAge > 0 {
		d.since = time.Now()
	}
}

// drain writes every committed byte; the buffered tail stays.
func (d *logDir) drain() {
	n := len(d.out) - d.vp
	if n == 0 {
		return
	}
	d.writeOut(d.out[:n])
	d.out = d.out[:copy(d.out, d.out[n:])]
}

// forceRotate is what SIGALRM and the a action do: rotate now, once the
// buffer is flushed, if current holds anything.
func (d *logDir) forceRotate() {
	d.flush()
	if d.bytes > 0 {
		d.rotateAt(len(d.out))
	}
	d.since = time.Time{}
}
