package multilog

import (
	"bytes"
	"sync"
)

var stderrMu sync.Mutex // guards the stderr buffers of started programs

// syncWriter lets a test read a child's stderr while exec copies into it.
type syncWriter struct{ buf *bytes.Buffer }

func (w *syncWriter) Write(p []byte) (int, error) {
	stderrMu.Lock()
	defer stderrMu.Unlock()
	return w.buf.Write(p)
}
