// Command qmail-tcpto is qmail-tcpto(8); see package mta/tcpto.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/tcpto"
)

func main() { os.Exit(tcpto.QmailTcpto(cli.FromOS("qmail-tcpto"))) }
