package rules

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/internal/cli"
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
		return inv.Fatal(cli.ExitTemporary, "unable to create %s: %v", tmpPath, cause(err))
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
		return fail(cli.ExitTemporary, "unable to write %s: %v", tmpPath, cause(werr.Err))
	case err != nil:
		return fail(cli.ExitTemporary, "unable to read input: %v", cause(err))
	}
	if err := f.Sync(); err != nil {
		return fail(cli.ExitTemporary, "unable to write %s: %v", tmpPath, cause(err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmpPath)
		return inv.Fatal(cli.ExitTemporary, "unable to write %s: %v", tmpPath, cause(err))
	}
	if err := os.Rename(tmpPath, cdbPath); err != nil {
		os.Remove(tmpPath)
		return inv.Fatal(cli.ExitTemporary, "unable to move %s to %s: %v", tmpPath, cdbPath, cause(err))
	}
	// Best effort: the new database is in place already, and some file
	// systems refuse to sync a directory (tcprules 0.88 does not try).
	durable.SyncDir(filepath.Dir(cdbPath))
	return cli.ExitOK
}

// cause strips the operation and path os errors repeat, since the
// diagnostic already names the file.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
