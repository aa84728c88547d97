// Command sslserver accepts TLS connections and runs a program for each:
// see man/sslserver.1.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/sslserver"
)

func main() { os.Exit(sslserver.Main(cli.FromOS("sslserver"))) }
