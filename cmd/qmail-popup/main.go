// Command qmail-popup; see qmail-popup(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/pop3"
)

func main() { os.Exit(pop3.QmailPopup(cli.FromOS("qmail-popup"))) }
