// Command qmail-pw2u; see qmail-pw2u(8).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/users"
)

func main() { os.Exit(users.QmailPw2u(cli.FromOS("qmail-pw2u"))) }
