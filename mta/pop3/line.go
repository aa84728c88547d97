package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/logfield"
)

// MaxLine bounds a command line. RFC 2449 allows 255 octets; long
// passwords and user names get some room beyond that.
const MaxLine = 1024

// DefaultTimeout is qmail's idle limit for both programs.
const DefaultTimeout = 1200 * time.Second

var errLineTooLong = errors.New("line too long")

type deadliner interface{ SetReadDeadline(time.Time) error }

// readCommand reads one command line and splits it the way qmail's
// commands() does: the verb is everything up to the first space (in any
// case), the argument everything after the spaces that follow it. A
// bare LF ends a line too; a NUL byte becomes LF, so that it can never
// cut a field handed on to checkpassword.
func readCommand(in *bufio.Reader, conn io.Reader, timeout time.Duration) (verb, arg string, err error) {
	if d, ok := conn.(deadliner); ok && timeout > 0 {
		d.SetReadDeadline(time.Now().Add(timeout))
	}
	var line []byte
	for {
		chunk, err := in.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine {
			return "", "", errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			// A client gone in the middle of a line is gone all the
			// same: its half command is not run.
			return "", "", err
		}
		break
	}
	verb, arg = ParseCommand(line)
	return verb, arg, nil
}

// ParseCommand splits a raw line (with its line end) into verb and
// argument.
func ParseCommand(line []byte) (verb, arg string) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	s := strings.ReplaceAll(string(line), "\x00", "\n")
	verb, arg, _ = strings.Cut(s, " ")
	arg = strings.TrimLeft(arg, " ")
	return strings.ToLower(verb), arg
}

// isTimeout tells a read deadline from other failures.
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// byteReader hands out one byte per Read, so that a bufio.Reader on top
// of it never takes more from the connection than the line it returns:
// what follows PASS belongs to qmail-pop3d, which reads the same
// descriptor.
type byteReader struct{ r io.Reader }

func (b byteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return b.r.Read(p)
}

// safeLog keeps a logged field on one line and free of spaces; an
// empty one is "-".
func safeLog(v string) string {
	if v == "" {
		return "-"
	}
	return logfield.Clean(v, 100)
}
