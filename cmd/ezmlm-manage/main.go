// Command ezmlm-manage answers the administrative requests of a list; see ezmlm-manage(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/manage"
)

func main() { os.Exit(manage.Main(cli.FromOS("ezmlm-manage"))) }
