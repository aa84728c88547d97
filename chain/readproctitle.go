package chain

import (
	"io"

	"github.com/quail-mta/quail/internal/cli"
)

// Readproctitle exit codes, the original's: no message is printed for any.
const (
	readproctitleBadArgs = 100 // no argument, or the last one shorter than 5 bytes
	readproctitleIOError = 111 // standard input could not be read
)

// Readproctitle runs readproctitle(8): readproctitle io... It reads
// standard input until end of file and keeps its most recent bytes (NULs
// left out) in its own last argument, after that argument's first three
// bytes, so that ps(1) shows them; svscanboot runs it with 400 dots as
// the last argument to display svscan's recent errors. It exits 0 at end
// of file.
//
// The title lives in the process's original argument memory, which ps
// reads through /proc/PID/cmdline; see newProcTitle for how it is reached
// and when it cannot be.
func Readproctitle(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return readproctitleBadArgs
	}
	last := inv.Args[len(inv.Args)-1]
	if len(last) < 5 {
		return readproctitleBadArgs
	}
	title := []byte(last)
	pt := newProcTitle(inv.Args)
	defer pt.close()
	buf := make([]byte, 4096)
	for {
		n, err := inv.Stdin.Read(buf)
		if n > 0 && shiftTitle(title, buf[:n]) {
			pt.set(title)
		}
		if err == io.EOF {
			return cli.ExitOK
		}
		if err != nil {
			return readproctitleIOError
		}
	}
}

// shiftTitle does to title what the original does for each input byte in
// turn: a NUL is ignored; any other byte shifts title[3:] left by one and
// takes the freed last position. It reports whether title changed.
func shiftTitle(title, in []byte) bool {
	tail := title[3:]
	var kept [4096]byte
	changed := false
	for len(in) > 0 {
		// Collect the chunk's non-NUL bytes, at most a buffer at a time.
		k := 0
		for len(in) > 0 && k < len(kept) {
			if in[0] != 0 {
				kept[k] = in[0]
				k++
			}
			in = in[1:]
		}
		if k == 0 {
			continue
		}
		changed = true
		b := kept[:k]
		if k >= len(tail) {
			copy(tail, b[k-len(tail):])
			continue
		}
		copy(tail, tail[k:])
		copy(tail[len(tail)-k:], b)
	}
	return changed
}
