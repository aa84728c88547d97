// Package pathexec replaces the running process with another program, found
// the way djb's pathexec finds it: a name containing a slash is executed as
// given; otherwise each directory of $PATH (taken from the environment the
// child will get, /bin:/usr/bin when unset) is tried in turn, and the error
// reported is the most telling one met on the way (a permission problem
// rather than "file does not exist").
package pathexec

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
)

// Exec runs argv[0] with argv and env in place of the current process. It
// returns only on failure.
func Exec(argv []string, env []string) error {
	if len(argv) == 0 {
		return errors.New("no program to run")
	}
	err := ExecAs(argv[0], argv, env)
	if strings.Contains(argv[0], "/") {
		return err
	}
	return &os.PathError{Op: "exec", Path: argv[0], Err: err}
}

// ExecAs is Exec with the program to run apart from argv[0] (argv0(1)
// runs one program under another name). It returns only on failure, with
// the bare error: the first that is not "no such file" when it searched.
func ExecAs(prog string, argv, env []string) error {
	if strings.Contains(prog, "/") {
		return syscall.Exec(prog, argv, env)
	}
	var firstErr error = syscall.ENOENT
	for _, dir := range searchPath(env) {
		err := syscall.Exec(dir+"/"+prog, argv, env)
		if err == syscall.ENOENT || err == syscall.ENOTDIR {
			continue
		}
		if firstErr == syscall.ENOENT {
			firstErr = err
		}
	}
	return firstErr
}

// Lookup finds prog as Exec would, without running it.
func Lookup(prog string, env []string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	for _, dir := range searchPath(env) {
		full := dir + "/" + prog
		if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() && fi.Mode()&0111 != 0 {
			return full, nil
		}
	}
	return "", &os.PathError{Op: "exec", Path: prog, Err: syscall.ENOENT}
}

// searchPath is the directories of env's $PATH, /bin:/usr/bin when it is
// unset; an empty entry is the current directory.
func searchPath(env []string) []string {
	path, ok := cli.Lookup(env, "PATH")
	if !ok {
		path = "/bin:/usr/bin"
	}
	dirs := strings.Split(path, ":")
	for i, d := range dirs {
		if d == "" {
			dirs[i] = "."
		}
	}
	return dirs
}
