// Command fghack is daemontools' fghack; see man/fghack.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Fghack(cli.FromOS("fghack"))) }
