package subtool

import (
	"bytes"
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/ezmlmtest"
)

// runTo runs ezmlm-list with its output into out.
func runTo(l *ezmlmtest.List, out *os.File, args ...string) (int, string) {
	var stderr bytes.Buffer
	inv := &cli.Invocation{Name: "ezmlm-list", Args: append([]string{"ezmlm-list"}, args...), Stdout: out, Stderr: &stderr}
	return List(inv), stderr.String()
}
