// Command qmail-newvpw; see qmail-newvpw(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/passwd"
)

func main() { os.Exit(passwd.QmailNewvpw(cli.FromOS("qmail-newvpw"))) }
