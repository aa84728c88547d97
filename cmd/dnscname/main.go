// Command dnscname is qmail 1.03's dnscname; see package mta/diag.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/diag"
)

func main() { os.Exit(diag.DNSCname(cli.FromOS("dnscname"))) }
