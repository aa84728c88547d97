// Command softlimit is daemontools' softlimit; see man/softlimit.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Softlimit(cli.FromOS("softlimit"))) }
