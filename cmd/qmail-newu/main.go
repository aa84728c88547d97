// Command qmail-newu; see qmail-newu(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/users"
)

func main() { os.Exit(users.QmailNewu(cli.FromOS("qmail-newu"))) }
