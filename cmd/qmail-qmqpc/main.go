// Command qmail-qmqpc: see mta/qmqp.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/qmqp"
)

func main() { os.Exit(qmqp.QmqpcMain(cli.FromOS("qmail-qmqpc"))) }
