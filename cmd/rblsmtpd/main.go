// Command rblsmtpd blocks SMTP clients listed in DNS blocklists; see
// rblsmtpd(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/ucspi/rblsmtpd"
)

func main() { os.Exit(rblsmtpd.Main(cli.FromOS("rblsmtpd"))) }
