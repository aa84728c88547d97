package users

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// qmail-lspawn's exit codes for its helpers (qmail's qlx.h), which
// qmail-getpw shares: qmail-lspawn turns them into its report.
const (
	ExitUsage   = 112 // QLX_USAGE
	ExitNFS     = 115 // QLX_NFS: a home directory could not be examined
	ExitNoAlias = 116 // QLX_NOALIAS: nobody takes the address
	ExitCDB     = 117 // QLX_CDB: trouble reading users/cdb
	ExitSys     = 118 // QLX_SYS: a temporary system failure
)

// QmailNewu is qmail-newu(8): it compiles users/assign in the qmail home
// into users/cdb, atomically. Every failure is temporary (exit 111), as in
// qmail.
func QmailNewu(inv *cli.Invocation) int {
	if len(inv.Args) > 1 {
		return inv.Usage("")
	}
	home := qmailhome.Dir(inv.Getenv)
	assign := filepath.Join(home, "users", "assign")
	b, err := os.ReadFile(assign)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read users/assign: %v", err)
	}
	entries, err := ParseAssign(b)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to parse users/assign: %v", err)
	}
	if err := WriteCDB(filepath.Join(home, "users", "cdb"), entries); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to make users/cdb: %v", err)
	}
	return 0
}

// QmailGetpw is qmail-getpw(8): for the local part in its argument it
// prints user, uid, gid, home, dash and extension, each followed by a NUL,
// from the password file alone (no users/cdb).
func QmailGetpw(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return cli.ExitPermanent
	}
	f := NewFinder(qmailhome.Dir(inv.Getenv))
	a, ok, err := f.GetPW(inv.Args[1])
	var he *HomeError
	switch {
	case errors.As(err, &he):
		return inv.Fatal(ExitNFS, "%v", err)
	case err != nil:
		return inv.Fatal(ExitSys, "%v", err)
	case !ok:
		return ExitNoAlias
	}
	if _, err := fmt.Fprintf(inv.Stdout, "%s\x00%d\x00%d\x00%s\x00%s\x00%s\x00", a.User, a.UID, a.GID, a.Home, a.Dash, a.Ext); err != nil {
		return inv.Fatal(ExitSys, "unable to write output: %v", err)
	}
	return 0
}
