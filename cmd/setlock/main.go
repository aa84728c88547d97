// Command setlock is daemontools' setlock; see man/setlock.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Setlock(cli.FromOS("setlock"))) }
