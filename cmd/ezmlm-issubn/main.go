// Command ezmlm-issubn tells whether the sender is on one of several subscriber lists; see ezmlm-issubn(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/subtool"
)

func main() { os.Exit(subtool.IsSubN(cli.FromOS("ezmlm-issubn"))) }
