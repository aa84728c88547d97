// Command qmail-local delivers one message to a local address; see
// qmail-local(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/local"
)

func main() { os.Exit(local.Main(cli.FromOS("qmail-local"))) }
