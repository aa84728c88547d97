// Command srsforward; see srsforward(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/usertools"
)

func main() { os.Exit(usertools.SRSForward(cli.FromOS("srsforward"))) }
