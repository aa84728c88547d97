package rules

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/durable"
)

// TCPRules is tcprules(1): tcprules rules.cdb rules.tmp. It compiles the
// rules on standard input into rules.tmp, syncs it and renames it onto
// rules.cdb, so readers see either the old or the new database. On any
// failure rules.tmp is removed and rules.cdb is left as it was.
//
// Exit codes: 0 done; 100 usage or a line that does not parse; 111 a read,
// write, sync or rename error.
func TCPRules(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		return inv.Usage("rules.cdb rules.tmp")
	}
	cdbPath, tmpPath := inv.Args[1], inv.Args[2]

	f, err := os.OpenFile(tmpPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0644)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create %s: %s", tmpPath, djberr.Text(err))
	}
	fail := func(code int, format string, a ...any) int {
		f.Close()
		os.Remove(tmpPath)
		return inv.Fatal(code, format, a...)
	}

	err = Compile(inv.Stdin, f)
	var perr *ParseError
	var werr *WriteError
	switch {
	case errors.As(err, &perr):
		return fail(cli.ExitPermanent, "%v", perr)
	case errors.As(err, &werr):
		return fail(cli.ExitTemporary, "unable to write %s: %s", tmpPath, djberr.Text(werr.Err))
	case err != nil:
		return fail(cli.ExitTemporary, "unable to read input: %s", djberr.Text(err))
	}
	if err := f.Sync(); err != nil {
		return fail(cli.ExitTemporary, "unable to write %s: %s", tmpPath, djberr.Text(err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmpPath)
		return inv.Fatal(cli.ExitTemporary, "unable to write %s: %s", tmpPath, djberr.Text(err))
	}
	// rename(2) itself: os.Rename turns a directory in the way into
	// EEXIST, where the original reports rename's EISDIR.
	if err := syscall.Rename(tmpPath, cdbPath); err != nil {
		os.Remove(tmpPath)
		return inv.Fatal(cli.ExitTemporary, "unable to move %s to %s: %s", tmpPath, cdbPath, djberr.Text(err))
	}
	// Best effort: the new database is in place already, and some file
	// systems refuse to sync a directory (tcprules 0.88 does not try).
	durable.SyncDir(filepath.Dir(cdbPath))
	return cli.ExitOK
}
