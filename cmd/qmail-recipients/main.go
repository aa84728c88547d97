// Command qmail-recipients builds users/recipients.cdb: see man/qmail-recipients.8.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/recipients"
)

func main() { os.Exit(recipients.QmailRecipients(cli.FromOS("qmail-recipients"))) }
