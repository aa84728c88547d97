// Command qmail-badmimetypes builds control/badmimetypes.cdb; see mta/badtypes.
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/badtypes"
)

func main() { os.Exit(badtypes.MimeTypes.Main(cli.FromOS("qmail-badmimetypes"))) }
