// Command sslprint is sslserver printing each connection's variables to
// the client: see man/sslprint.1.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/sslprint"
)

func main() { os.Exit(sslprint.Main(cli.FromOS("sslprint"))) }
