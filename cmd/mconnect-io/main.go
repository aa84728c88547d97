// Command mconnect-io is mconnect's terminal side, run by tcpclient with
// the connection on descriptors 6 and 7; see mconnect(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/client"
)

func main() { os.Exit(client.MconnectIO(cli.FromOS("mconnect-io"))) }
