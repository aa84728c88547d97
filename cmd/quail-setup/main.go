// Command quail-setup installs and checks a quail mail system; see
// quail-setup(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/setup"
)

func main() { os.Exit(setup.Main(cli.FromOS("quail-setup"))) }
