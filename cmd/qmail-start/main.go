// Command qmail-start is qmail-start(8); see package mta/send.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/send"
)

func main() { os.Exit(send.QmailStart(cli.FromOS("qmail-start"))) }
