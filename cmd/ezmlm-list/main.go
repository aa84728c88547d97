// Command ezmlm-list prints the addresses of a subscriber list; see ezmlm-list(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/subtool"
)

func main() { os.Exit(subtool.List(cli.FromOS("ezmlm-list"))) }
