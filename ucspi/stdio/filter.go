package stdio

import (
	"io"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// filter copies standard input to standard output through convert, then
// appends flush's bytes at end of input. Exit codes: 0 at end of input, 111
// on a read or write error (0.88 exits 111 silently; we say why).
func filter(inv *cli.Invocation, convert func(dst, src []byte) []byte, flush func(dst []byte) []byte) int {
	in := make([]byte, 8192)
	var out []byte
	for {
		n, rerr := inv.Stdin.Read(in)
		out = convert(out[:0], in[:n])
		if rerr == io.EOF && flush != nil {
			out = flush(out)
		}
		if len(out) > 0 {
			if _, err := inv.Stdout.Write(out); err != nil {
				return inv.Fatal(cli.ExitTemporary, "unable to write output: %s", djberr.Text(err))
			}
		}
		if rerr == io.EOF {
			return cli.ExitOK
		}
		if rerr != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to read input: %s", djberr.Text(rerr))
		}
	}
}

// Addcr is addcr(1): CR before every LF from standard input to standard
// output. Arguments are ignored, as in 0.88.
func Addcr(inv *cli.Invocation) int {
	return filter(inv, AddCR, nil)
}

// Delcr is delcr(1): removes CR before LF, keeping a lone CR and a final CR.
func Delcr(inv *cli.Invocation) int {
	var d DelCR
	return filter(inv, d.Write, d.Flush)
}
