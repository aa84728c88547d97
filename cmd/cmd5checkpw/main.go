// Command cmd5checkpw; see cmd5checkpw(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/passwd"
)

func main() { os.Exit(passwd.Cmd5checkpw(cli.FromOS("cmd5checkpw"))) }
