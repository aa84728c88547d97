// Command ezmlm-get answers archive retrievals and makes digests; see ezmlm-get(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/digest"
)

func main() { os.Exit(digest.Get(cli.FromOS("ezmlm-get"))) }
