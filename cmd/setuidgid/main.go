// Command setuidgid is daemontools' setuidgid; see man/setuidgid.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Setuidgid(cli.FromOS("setuidgid"))) }
