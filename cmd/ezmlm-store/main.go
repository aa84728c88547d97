// Command ezmlm-store keeps a post for moderation and asks the moderators; see ezmlm-store(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/moderate"
)

func main() { os.Exit(moderate.Store(cli.FromOS("ezmlm-store"))) }
