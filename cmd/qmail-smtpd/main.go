// Command qmail-smtpd receives mail by SMTP on descriptors 0 and 1.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/smtpd"
)

func main() { os.Exit(smtpd.Main(cli.FromOS("qmail-smtpd"))) }
