package chain

import (
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// Setuidgid runs setuidgid(8): setuidgid account child. It drops every
// supplementary group but the account's own group, sets the gid, then the
// uid, and runs child with the environment unchanged. Usage errors exit
// 100, everything else 111.
//
// Go applies setgroups, setgid and setuid to every thread of the process
// (since Go 1.16 on Linux), so whichever thread calls execve carries the
// new credentials.
func Setuidgid(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		return inv.Usage("account child")
	}
	account, argv := inv.Args[1], inv.Args[2:]
	uid, gid, err := lookupAccount(account)
	if err != nil {
		return accountFatal(inv, cli.ExitTemporary, account, err)
	}
	if err := syscall.Setgroups([]int{int(gid)}); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to setgid: %s", djberr.Text(err))
	}
	if err := syscall.Setgid(int(gid)); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to setgid: %s", djberr.Text(err))
	}
	if err := syscall.Setuid(int(uid)); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to setuid: %s", djberr.Text(err))
	}
	err = execChild(argv, inv.Env, inv.Env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", argv[0], djberr.Text(err))
}
