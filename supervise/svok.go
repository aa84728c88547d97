package supervise

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// Svok implements svok(8): exit 0 when a supervise process is running in the
// directory, 100 when none is (or the directory has never been supervised),
// 111 when that cannot be told. Like 0.76 it looks at its first argument
// only.
func Svok(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("dir")
	}
	dir := inv.Args[1]
	dfd, err := openDir(dir)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to chdir to %s: %s", dir, djberr.Text(err))
	}
	defer unix.Close(dfd)
	running, err := supervisorRunning(dfd)
	switch {
	case running:
		return cli.ExitOK
	case errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENOENT):
		return cli.ExitPermanent
	}
	return inv.Fatal(cli.ExitTemporary, "unable to open %s/supervise/ok: %s", dir, djberr.Text(err))
}
