package chain

import (
	"github.com/quail-mta/quail/internal/pathexec"
)

// execChild replaces the process with argv[0] running with env. The program
// is searched for in the PATH of searchEnv: djb's pathexec looks at the
// environment the tool itself was started with, not at the one it builds
// for the child, so an envdir that sets PATH does not change where its own
// child is found.
func execChild(argv, searchEnv, env []string) error {
	return pathexec.Run(argv[0], argv, env, searchEnv)
}

// lookPath finds prog in env's PATH unless it names a file itself, for a
// program started as a child or prepared ahead of its exec.
func lookPath(prog string, env []string) (string, error) {
	return pathexec.Lookup(prog, env)
}
