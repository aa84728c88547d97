// Command ezmlm-clean returns posts left too long in the moderation queue; see ezmlm-clean(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/moderate"
)

func main() { os.Exit(moderate.Clean(cli.FromOS("ezmlm-clean"))) }
