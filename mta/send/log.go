package send

import (
	"io"
	"strconv"
	"sync"
)

// logger writes qmail-log(5) lines, one Write per line so that lines
// from the todo goroutine and the delivery loop never mix.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logger) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write([]byte(s + "\n"))
}

// Safe makes a report fit on one log line as qmail-send does: newlines
// become '/', other control bytes '_'.
func Safe(text string) string {
	b := []byte(text)
	for i, c := range b {
		switch {
		case c == '\n':
			b[i] = '/'
		case c < 32 || c == 127:
			b[i] = '_'
		}
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
