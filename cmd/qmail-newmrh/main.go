// Command qmail-newmrh builds control/morercpthosts.cdb; see mta/qmtpd.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/qmtpd"
)

func main() { os.Exit(qmtpd.NewmrhMain(cli.FromOS("qmail-newmrh"))) }
