// Command dot-forward; see dot-forward(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/dotforward"
)

func main() { os.Exit(dotforward.DotForward(cli.FromOS("dot-forward"))) }
