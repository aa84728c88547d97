// Command qmail-queue puts a message into the qmail queue; see
// qmail-queue(8) and package mta/queue.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/queue"
)

func main() { os.Exit(queue.QmailQueue(cli.FromOS("qmail-queue"))) }
