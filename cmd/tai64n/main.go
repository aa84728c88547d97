// Command tai64n is daemontools' tai64n; see man/tai64n.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Tai64n(cli.FromOS("tai64n"))) }
