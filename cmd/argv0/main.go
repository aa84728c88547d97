// Command argv0 is ucspi-tcp's argv0; see argv0(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/stdio"
)

func main() { os.Exit(stdio.Argv0(cli.FromOS("argv0"))) }
