// Command srsreverse; see srsreverse(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/usertools"
)

func main() { os.Exit(usertools.SRSReverse(cli.FromOS("srsreverse"))) }
