// Command printforward; see printforward(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/fastforward"
)

func main() { os.Exit(fastforward.PrintForward(cli.FromOS("printforward"))) }
