// Command envuidgid is daemontools' envuidgid; see man/envuidgid.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Envuidgid(cli.FromOS("envuidgid"))) }
