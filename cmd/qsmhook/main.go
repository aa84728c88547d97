// Command qsmhook is qmail 1.03's qsmhook; see package mta/usertools.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/usertools"
)

func main() { os.Exit(usertools.Qsmhook(cli.FromOS("qsmhook"))) }
