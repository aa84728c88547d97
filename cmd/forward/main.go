// Command forward; see forward(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/usertools"
)

func main() { os.Exit(usertools.Forward(cli.FromOS("forward"))) }
