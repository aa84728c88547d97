// Command ezmlm-warn warns, probes and removes subscribers whose mail bounces; see ezmlm-warn(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/bounce"
)

func main() { os.Exit(bounce.Warn(cli.FromOS("ezmlm-warn"))) }
