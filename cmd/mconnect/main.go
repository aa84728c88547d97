// Command mconnect talks SMTP (or another line protocol) to a server by
// hand; see mconnect(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/client"
)

func main() { os.Exit(client.Mconnect(cli.FromOS("mconnect"))) }
