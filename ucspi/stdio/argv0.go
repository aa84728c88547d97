package stdio

import (
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
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
	err := execAs(inv.Args[1], inv.Args[2:], inv.Env)
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", inv.Args[1], err)
}

// execAs is pathexec with the file to run apart from argv[0]: a name with a
// slash is run as given, otherwise each $PATH directory is tried, and the
// error kept is the first that is not "no such file".
func execAs(file string, argv, env []string) error {
	if strings.Contains(file, "/") {
		return syscall.Exec(file, argv, env)
	}
	path, ok := cli.Lookup(env, "PATH")
	if !ok {
		path = "/bin:/usr/bin"
	}
	var kept error = syscall.ENOENT
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		err := syscall.Exec(dir+"/"+file, argv, env)
		if err == syscall.ENOENT || err == syscall.ENOTDIR {
			continue
		}
		if kept == syscall.ENOENT {
			kept = err
		}
	}
	return kept
}
