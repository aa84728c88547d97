// Command qmail-clean is qmail-clean(8); see package mta/queue.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/queue"
)

func main() { os.Exit(queue.QmailClean(cli.FromOS("qmail-clean"))) }
