// Command ezmlm-sub adds addresses to a subscriber list; see ezmlm-sub(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/subtool"
)

func main() { os.Exit(subtool.Sub(cli.FromOS("ezmlm-sub"))) }
