// Command tcprules compiles tcpserver access rules into a cdb; see tcprules(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/rules"
)

func main() { os.Exit(rules.TCPRules(cli.FromOS("tcprules"))) }
