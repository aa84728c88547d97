package chain

import (
	"strconv"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// Envuidgid runs envuidgid(8): envuidgid account child. It sets $GID and
// then $UID to the account's numeric group and user id and runs child;
// it changes no ids itself. Usage errors exit 100, an unknown account and
// every other failure 111.
func Envuidgid(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		return inv.Usage("account child")
	}
	account, argv := inv.Args[1], inv.Args[2:]
	uid, gid, err := lookupAccount(account)
	if err != nil {
		return accountFatal(inv, cli.ExitTemporary, account, err)
	}
	edits := []string{
		"GID=" + strconv.FormatUint(uint64(gid), 10),
		"UID=" + strconv.FormatUint(uint64(uid), 10),
	}
	err = execChild(argv, inv.Env, applyEnv(inv.Env, edits))
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}
