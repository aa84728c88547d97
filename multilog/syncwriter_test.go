package multilog

import (
	"bytes"
	"sync"
)

var mu sync.Mutex

// syncWriter lets a test read a child's stderr while exec copies into it.
type syncWriter struct{ buf *bytes.Buffer }

func (w *syncWriter) Write(p []byte) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	return w.buf.Write(p)
}
