// Command splogger is splogger(8); see package mta/splogger.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/splogger"
)

func main() { os.Exit(splogger.Main(cli.FromOS("splogger"))) }
