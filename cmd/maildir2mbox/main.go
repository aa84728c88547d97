// Command maildir2mbox; see maildir2mbox(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/usertools"
)

func main() { os.Exit(usertools.Maildir2mbox(cli.FromOS("maildir2mbox"))) }
