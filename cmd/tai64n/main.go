// Command tai64n is daemontools' tai64n; see man/tai64n.8 and package tai64/filter.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/tai64/filter"
)

func main() { os.Exit(filter.Tai64n(cli.FromOS("tai64n"))) }
