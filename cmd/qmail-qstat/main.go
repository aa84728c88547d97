// Command qmail-qstat is qmail-qstat(8); see package mta/qtools.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/qtools"
)

func main() { os.Exit(qtools.Qstat(cli.FromOS("qmail-qstat"))) }
