// Command ezmlm-send sends a post to a list's subscribers and archives it; see ezmlm-send(1).
package main

import (
	"os"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/ezmlm/post"
)

func main() { os.Exit(post.Main(cli.FromOS("ezmlm-send"))) }
