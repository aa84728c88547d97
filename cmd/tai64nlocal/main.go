// Command tai64nlocal is daemontools' tai64nlocal; see man/tai64nlocal.8 and package tai64/filter.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/tai64/filter"
)

func main() { os.Exit(filter.Tai64nlocal(cli.FromOS("tai64nlocal"))) }
