// Command qmail-qmtpd receives mail over QMTP; see mta/qmtpd.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/qmtpd"
)

func main() { os.Exit(qmtpd.Main(cli.FromOS("qmail-qmtpd"))) }
