// Command envdir is daemontools' envdir; see man/envdir.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Envdir(cli.FromOS("envdir"))) }
