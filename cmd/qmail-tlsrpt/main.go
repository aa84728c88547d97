// Command qmail-tlsrpt sends TLS reports (RFC 8460) from qmail-send's
// log; see mta/tlsreport.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/tlsreport"
)

func main() { os.Exit(tlsreport.Main(cli.FromOS("qmail-tlsrpt"))) }
