// Command tcpclient connects to a TCP server and runs a program with the
// connection on descriptors 6 and 7; see tcpclient(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/client"
)

func main() { os.Exit(client.Main(cli.FromOS("tcpclient"))) }
