// Command tai64nlocal is daemontools' tai64nlocal; see man/tai64nlocal.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Tai64nlocal(cli.FromOS("tai64nlocal"))) }
