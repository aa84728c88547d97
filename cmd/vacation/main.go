// Command vacation; see vacation(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/vacation"
)

func main() { os.Exit(vacation.Vacation(cli.FromOS("vacation"))) }
