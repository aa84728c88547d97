// Command pgrphack is daemontools' pgrphack; see man/pgrphack.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Pgrphack(cli.FromOS("pgrphack"))) }
