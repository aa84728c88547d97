// Command qmail-stats is qmail-stats(8); see package mta/stats.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/stats"
)

func main() { os.Exit(stats.Main(cli.FromOS("qmail-stats"))) }
