// Command qmail-getpw; see qmail-getpw(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/users"
)

func main() { os.Exit(users.QmailGetpw(cli.FromOS("qmail-getpw"))) }
