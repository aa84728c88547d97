// Command fixcrio is ucspi-tcp's fixcrio; see fixcrio(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/stdio"
)

func main() { os.Exit(stdio.Fixcrio(cli.FromOS("fixcrio"))) }
