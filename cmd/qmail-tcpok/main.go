// Command qmail-tcpok is qmail-tcpok(8); see package mta/tcpto.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/tcpto"
)

func main() { os.Exit(tcpto.QmailTcpok(cli.FromOS("qmail-tcpok"))) }
