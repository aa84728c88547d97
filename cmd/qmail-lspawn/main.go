// Command qmail-lspawn is qmail-lspawn(8); see package mta/spawn.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/spawn"
)

func main() { os.Exit(spawn.QmailLspawn(cli.FromOS("qmail-lspawn"))) }
