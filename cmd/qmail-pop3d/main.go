// Command qmail-pop3d; see qmail-pop3d(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/pop3"
)

func main() { os.Exit(pop3.QmailPop3d(cli.FromOS("qmail-pop3d"))) }
