// Command qmail-remote is qmail-remote(8); see package mta/remote.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/remote"
)

func main() { os.Exit(remote.Main(cli.FromOS("qmail-remote"))) }
