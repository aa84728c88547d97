// Command ezmlm-make makes an ezmlm mailing list directory and its .qmail files; see ezmlm-make(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/mklist"
)

func main() { os.Exit(mklist.Main(cli.FromOS("ezmlm-make"))) }
