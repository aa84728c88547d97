// Command sslclient connects with TLS and runs a program on the
// connection: see man/sslclient.1.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/sslclient"
)

func main() { os.Exit(sslclient.Main(cli.FromOS("sslclient"))) }
