// Command multilog reads lines from standard input and appends the
// selected ones to rotated log directories; see man/multilog.8.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/multilog"
)

func main() { os.Exit(multilog.Main(cli.FromOS("multilog"))) }
