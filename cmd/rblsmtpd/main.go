// Command rblsmtpd blocks SMTP clients listed in DNS blocklists; see
// rblsmtpd(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/launch"
	"github.com/quail-mta/quail/mta/smtpd"
	"github.com/quail-mta/quail/ucspi/rblsmtpd"
)

// qmail-smtpd's code runs inside a reused rblsmtpd (TCPSERVERREUSE).
var residents = []rblsmtpd.Resident{{Program: launch.For("qmail-smtpd"), Serve: smtpd.Serve}}

func main() { os.Exit(rblsmtpd.MainWith(cli.FromOS("rblsmtpd"), residents)) }
