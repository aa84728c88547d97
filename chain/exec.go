package chain

import (
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/pathexec"
)

// execChild replaces the process with argv[0] running with env. The program
// is searched for in the PATH of searchEnv: djb's pathexec looks at the
// environment the tool itself was started with, not at the one it builds
// for the child, so an envdir that sets PATH does not change where its own
// child is found.
func execChild(argv, searchEnv, env []string) error {
	path, err := lookPath(argv[0], searchEnv)
	if err != nil {
		return err
	}
	if path == argv[0] {
		return pathexec.Exec(argv, env)
	}
	return syscall.Exec(path, argv, env)
}

// lookPath finds prog in env's PATH unless it names a file itself.
func lookPath(prog string, env []string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	return pathexec.Lookup(prog, env)
}
