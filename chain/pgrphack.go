package chain

import (
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// Pgrphack runs pgrphack(8): pgrphack child. It starts a new session (and
// so a new process group) and runs child. A failing setsid, as when the
// process already leads a group, is ignored as in the original. Usage
// errors exit 100, a failed exec 111.
func Pgrphack(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("child")
	}
	argv := inv.Args[1:]
	_, _ = syscall.Setsid()
	err := execChild(argv, inv.Env, inv.Env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}
