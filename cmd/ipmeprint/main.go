// Command ipmeprint is qmail 1.03's ipmeprint; see package mta/diag.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/diag"
)

func main() { os.Exit(diag.IPMePrint(cli.FromOS("ipmeprint"))) }
