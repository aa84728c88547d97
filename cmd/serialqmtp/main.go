// Command serialqmtp; see serialqmtp(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/serialmail"
)

func main() { os.Exit(serialmail.SerialQMTP(cli.FromOS("serialqmtp"))) }
