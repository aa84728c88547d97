// Command ezmlm-reject refuses posts unfit for a list; see ezmlm-reject(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/reject"
)

func main() { os.Exit(reject.Main(cli.FromOS("ezmlm-reject"))) }
