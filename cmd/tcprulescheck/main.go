// Command tcprulescheck shows which tcpserver rule applies to a connection;
// see tcprulescheck(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/rules"
)

func main() { os.Exit(rules.TCPRulesCheck(cli.FromOS("tcprulescheck"))) }
