// Command tcp-env is tcp-env(1); see package ucspi/inetd.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/inetd"
)

func main() { os.Exit(inetd.TCPEnv(cli.FromOS("tcp-env"))) }
