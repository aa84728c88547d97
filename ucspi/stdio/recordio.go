package stdio

import (
	"bytes"
	"io"
	"sync"

	"github.com/quail-mta/quail/internal/cli"
)

// recordChunk is 0.88's read size; records of a longer line are split at
// the same places as the C tool's.
const recordChunk = 256

// Recordio is recordio(1): recordio program [ arg ... ]. It runs program
// with its input and output passing through a helper that prints each chunk
// on standard error, "PID < " for what the client sent and "PID > " for what
// the program sent, a line per LF: a complete line ends in " \n", a chunk
// that ends without LF in "+\n". End of input is "PID < [EOF]" and
// "PID > [EOF]". PID is the program's.
//
// Exit codes: the program's own (it replaces recordio); 100 usage; 111 the
// program cannot be run.
func Recordio(inv *cli.Invocation) int {
	if isRelay(inv, "recordio") {
		return recordRelay(inv)
	}
	if len(inv.Args) < 2 {
		return inv.Usage("program [ arg ... ]")
	}
	return runBehind(inv, "recordio")
}

func recordRelay(inv *cli.Invocation) int {
	pid := inv.Args[1]
	if !validPid(pid) {
		return inv.Usage("program [ arg ... ]")
	}
	toProg, fromProg := helperFiles()
	var mu sync.Mutex
	log := func(b []byte) {
		mu.Lock()
		defer mu.Unlock()
		inv.Stderr.Write(b)
	}
	side := func(arrow string) (func([]byte), func()) {
		prefix := pid + " " + arrow + " "
		return func(chunk []byte) { log(Record(nil, prefix, chunk)) },
			func() { log([]byte(prefix + "[EOF]\n")) }
	}
	inRead, inEOF := side("<")
	outRead, outEOF := side(">")
	return relay(
		direction{src: io.NopCloser(inv.Stdin), dst: toProg, bufSize: recordChunk, onRead: inRead, onEOF: inEOF},
		direction{src: fromProg, dst: inv.Stdout, bufSize: recordChunk, onRead: outRead, onEOF: outEOF},
	)
}

// Record appends the record lines for one chunk to dst: prefix, then each
// line of chunk followed by " \n" if it ended in LF or "+\n" if it did not.
func Record(dst []byte, prefix string, chunk []byte) []byte {
	for len(chunk) > 0 {
		dst = append(dst, prefix...)
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			dst = append(dst, chunk...)
			return append(dst, '+', '\n')
		}
		dst = append(dst, chunk[:i]...)
		dst = append(dst, ' ', '\n')
		chunk = chunk[i+1:]
	}
	return dst
}
