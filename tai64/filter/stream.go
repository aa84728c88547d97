package filter

import (
	"errors"
	"io"
)

// streamBuf is the size of the filters' input and output buffers.
const streamBuf = 64 << 10

// readError and writeError tell the two filters' callers which side failed.
type readError struct{ err error }
type writeError struct{ err error }

func (e *readError) Error() string  { return e.err.Error() }
func (e *writeError) Error() string { return e.err.Error() }

// filter drives a line filter as daemontools' buffer code does: all the
// output produced so far is written before every read, so the filter never
// holds output back while it waits for input and works in a pipeline, yet
// while input keeps coming it writes in large blocks.
type filter struct {
	r   io.Reader
	w   io.Writer
	in  []byte
	out []byte
}

func newFilter(r io.Reader, w io.Writer) *filter {
	return &filter{r: r, w: w, in: make([]byte, streamBuf), out: make([]byte, 0, 2*streamBuf+64)}
}

// read flushes, then reads the next chunk; it returns io.EOF at the end.
func (f *filter) read() ([]byte, error) {
	if err := f.flush(); err != nil {
		return nil, err
	}
	for {
		n, err := f.r.Read(f.in)
		if n > 0 {
			return f.in[:n], nil
		}
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			return nil, &readError{err}
		}
	}
}

// spill writes the output once it reaches the buffer size.
func (f *filter) spill() error {
	if len(f.out) < streamBuf {
		return nil
	}
	return f.flush()
}

func (f *filter) flush() error {
	if len(f.out) == 0 {
		return nil
	}
	_, err := f.w.Write(f.out)
	f.out = f.out[:0]
	if err != nil {
		return &writeError{err}
	}
	return nil
}
