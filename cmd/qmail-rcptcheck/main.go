// Command qmail-rcptcheck tells qmail-smtpd whether a local address
// exists: see man/qmail-rcptcheck.8.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/rcptcheck"
)

func main() { os.Exit(rcptcheck.Main(cli.FromOS("qmail-rcptcheck"))) }
