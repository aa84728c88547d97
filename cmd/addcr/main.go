// Command addcr is ucspi-tcp's addcr; see addcr(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/stdio"
)

func main() { os.Exit(stdio.Addcr(cli.FromOS("addcr"))) }
