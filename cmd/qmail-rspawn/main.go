// Command qmail-rspawn is qmail-rspawn(8); see package mta/rspawn.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/rspawn"
)

func main() { os.Exit(rspawn.Main(cli.FromOS("qmail-rspawn"))) }
