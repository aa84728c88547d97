// Command ezmlm-tstdig tells whether a digest is due; see ezmlm-tstdig(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/digest"
)

func main() { os.Exit(digest.TstDig(cli.FromOS("ezmlm-tstdig"))) }
