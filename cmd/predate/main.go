// Command predate: see man/predate.8.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/inject"
)

func main() { os.Exit(inject.Predate(cli.FromOS("predate"))) }
