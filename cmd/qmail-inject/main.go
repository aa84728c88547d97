// Command qmail-inject: see man/qmail-inject.8.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/inject"
)

func main() { os.Exit(inject.Main(cli.FromOS("qmail-inject"))) }
