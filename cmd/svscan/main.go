// Command svscan: see man/svscan.8.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/supervise"
)

func main() { os.Exit(supervise.Svscan(cli.FromOS("svscan"))) }
