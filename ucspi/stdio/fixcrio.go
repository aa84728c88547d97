package stdio

import (
	"io"

	"github.com/quail-mta/quail/internal/cli"
)

// Fixcrio is fixcrio(1): fixcrio program [ arg ... ]. It runs program with
// a CR inserted before every LF that lacks one, in what the client sends and
// in what the program sends back.
//
// Exit codes: the program's own (it replaces fixcrio); 100 usage; 111 the
// program cannot be run.
func Fixcrio(inv *cli.Invocation) int {
	if isRelay(inv, "fixcrio") {
		if !validPid(inv.Args[1]) {
			return inv.Usage("program [ arg ... ]")
		}
		toProg, fromProg := helperFiles()
		var in, out FixCR
		return relay(
			direction{src: io.NopCloser(inv.Stdin), dst: toProg, bufSize: 8192, convert: in.Write},
			direction{src: fromProg, dst: inv.Stdout, bufSize: 8192, convert: out.Write},
		)
	}
	if len(inv.Args) < 2 {
		return inv.Usage("program [ arg ... ]")
	}
	return runBehind(inv, "fixcrio")
}
