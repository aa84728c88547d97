// Command qmail-badloadertypes builds control/badloadertypes.cdb; see mta/badtypes.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/badtypes"
)

func main() { os.Exit(badtypes.LoaderTypes.Main(cli.FromOS("qmail-badloadertypes"))) }
