// Command recordio is ucspi-tcp's recordio; see recordio(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/stdio"
)

func main() { os.Exit(stdio.Recordio(cli.FromOS("recordio"))) }
