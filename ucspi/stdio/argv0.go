package stdio

import (
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
)

// Argv0 is argv0(1): argv0 realname program [ arg ... ] runs realname
// (looked up in $PATH as djb's pathexec does) with the argument vector
// "program arg ...", so the program sees program as its name.
//
// Exit codes: the program's own; 100 usage; 111 realname cannot be run.
func Argv0(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		return inv.Usage("realname program [ arg ... ]")
	}
	err := pathexec.ExecAs(inv.Args[1], inv.Args[2:], inv.Env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", inv.Args[1], djberr.Text(err))
}
