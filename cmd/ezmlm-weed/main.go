// Command ezmlm-weed drops messages that only look like bounces; see ezmlm-weed(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/bounce"
)

func main() { os.Exit(bounce.Weed(cli.FromOS("ezmlm-weed"))) }
