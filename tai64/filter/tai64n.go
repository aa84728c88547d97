package filter

import (
	"bytes"
	"errors"
	"io"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/tai64"
)

// Tai64n runs tai64n(8): it copies standard input to standard output,
// putting before each line "@", the 24 hex digits of the TAI64N label of
// the moment the line's first byte was handled, and a space. A last line
// without a newline is copied as it is. It exits 0 at end of input, 111
// when it cannot read or write.
func Tai64n(inv *cli.Invocation) int {
	return filterExit(inv, Stamp(inv.Stdin, inv.Stdout, tai64.Now))
}

// Stamp is tai64n's filter, with the clock as a parameter.
func Stamp(r io.Reader, w io.Writer, now func() tai64.Label) error {
	f := newFilter(r, w)
	atStart := true
	for {
		chunk, err := f.read()
		if err == io.EOF {
			return f.flush()
		}
		if err != nil {
			return err
		}
		for len(chunk) > 0 {
			if atStart {
				f.out = append(now().AppendText(f.out), ' ')
				atStart = false
			}
			line := chunk
			if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
				line = chunk[:i+1]
				atStart = true
			}
			f.out = append(f.out, line...)
			chunk = chunk[len(line):]
			if err := f.spill(); err != nil {
				return err
			}
		}
	}
}

// filterExit turns a filter's result into the original's exit code and
// message.
func filterExit(inv *cli.Invocation, err error) int {
	var re *readError
	var we *writeError
	switch {
	case err == nil:
		return cli.ExitOK
	case errors.As(err, &re):
		return inv.Fatal(cli.ExitTemporary, "unable to read input: %s", djberr.Text(re.err))
	case errors.As(err, &we):
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %s", djberr.Text(we.err))
	}
	return inv.Fatal(cli.ExitTemporary, "%v", err)
}
