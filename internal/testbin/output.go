package testbin

import (
	"bytes"
	"io"
	"sync"
)

// Output collects what a child process writes (usually its stderr) so
// that a test may read it while the child still runs: exec copies into a
// plain buffer from a goroutine of its own, which races with the test.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// ReadFrom copies r into o until r ends, a piece at a time, so that
// String shows what has come so far.
func (o *Output) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 65536)
	var n int64
	for {
		m, err := r.Read(buf)
		o.Write(buf[:m])
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
