// Command ezmlm-unsub removes addresses from a subscriber list; see ezmlm-unsub(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/subtool"
)

func main() { os.Exit(subtool.Unsub(cli.FromOS("ezmlm-unsub"))) }
