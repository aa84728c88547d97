// Command qmail-showctl prints the control files; see mta/showctl.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/showctl"
)

func main() { os.Exit(showctl.Main(cli.FromOS("qmail-showctl"))) }
