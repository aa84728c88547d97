// Command tcpserver accepts TCP connections and runs a program for each;
// see tcpserver(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/tcpserver"
)

func main() { os.Exit(tcpserver.Main(cli.FromOS("tcpserver"))) }
