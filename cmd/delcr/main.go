// Command delcr is ucspi-tcp's delcr; see delcr(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/stdio"
)

func main() { os.Exit(stdio.Delcr(cli.FromOS("delcr"))) }
