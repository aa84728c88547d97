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

// Safe makes text fit in one field of a log line as qmail-send's
// logsafe does (qsutil.c): a newline becomes '/', and every byte that is
// '%', below 33 (space and control characters) or above 126 (DEL and
// every byte of 128 and above, which C's signed char takes for
// negative) becomes '_'. qmail-send passes report texts, senders and
// recipients through it, so that qmailanalog can split a line at its
// spaces.
func Safe(text string) string {
	b := []byte(text)
	for i, c := range b {
		switch {
		case c == '\n':
			b[i] = '/'
		case c == '%' || c < 33 || c > 126:
			b[i] = '_'
		}
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
