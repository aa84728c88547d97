// Command ezmlm-return records the bounces of a list's messages; see ezmlm-return(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/bounce"
)

func main() { os.Exit(bounce.Return(cli.FromOS("ezmlm-return"))) }
