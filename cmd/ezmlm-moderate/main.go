// Command ezmlm-moderate accepts or rejects a post held for moderation; see ezmlm-moderate(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/moderate"
)

func main() { os.Exit(moderate.Moderate(cli.FromOS("ezmlm-moderate"))) }
