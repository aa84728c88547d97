// Command readproctitle is daemontools' readproctitle; see man/readproctitle.8 and package chain.
package main

import (
	"os"

	"github.com/quail-mta/quail/chain"
	"github.com/quail-mta/quail/internal/cli"
)

func main() { os.Exit(chain.Readproctitle(cli.FromOS("readproctitle"))) }
