// Command qmail-qtool is qmail-qtool(8); see package mta/qtools.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/qtools"
)

func main() { os.Exit(qtools.Qtool(cli.FromOS("qmail-qtool"))) }
