// Package pathexec replaces the running process with another program, found
// as djb's pathexec_run (pathexec_run.c of daemontools and ucspi-tcp) finds
// it: a name containing a slash is executed as given; otherwise each
// directory of $PATH (/bin:/usr/bin when it is unset; an empty entry is the
// current directory) is tried in turn. A file that is not there sends the
// search on; so does one that may not be run (access denied, permission
// denied, a directory), whose error is kept to be reported if nothing
// later runs; any other failure (not a directory, exec format error ...)
// ends the search with that failure.
package pathexec

import (
	"errors"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
)

// Exec runs argv[0] with argv and env in place of the current process,
// found through env's PATH. It returns only on failure, with the bare
// errno pathexec_run leaves (djberr.Text words it).
func Exec(argv []string, env []string) error {
	if len(argv) == 0 {
		return errors.New("no program to run")
	}
	return Run(argv[0], argv, env, env)
}

// ExecAs is Exec with the program to run apart from argv[0] (argv0(1)
// runs one program under another name).
func ExecAs(prog string, argv, env []string) error {
	return Run(prog, argv, env, env)
}

// Run is pathexec_run: it runs prog with argv and env, prog found through
// the PATH of pathEnv. The original reads PATH from the environment the
// calling program was started with, not from the one it hands the child
// (envdir setting PATH does not change where envdir's own child is found),
// hence the two. It returns only on failure.
func Run(prog string, argv, env, pathEnv []string) error {
	if strings.Contains(prog, "/") {
		return syscall.Exec(prog, argv, env)
	}
	var saved error
	for _, dir := range searchPath(pathEnv) {
		err := syscall.Exec(dir+"/"+prog, argv, env)
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if !passOver(err) {
			return err
		}
	}
	if saved != nil {
		return saved
	}
	return syscall.ENOENT
}

// passOver says whether pathexec_run goes on to the next directory after
// an execve that failed with err (ENOENT aside).
func passOver(err error) bool {
	return err == syscall.EACCES || err == syscall.EPERM || err == syscall.EISDIR
}

// Lookup finds prog as Run would, for a caller that starts it as a child
// (exec.Cmd) rather than in its own place, and fails as Run would have:
// a file it cannot run (not executable, a directory, not a regular file)
// is passed over and its "access denied" kept, a path through a file is
// "not a directory" at once. What only execve can tell (exec format error)
// comes back from starting the child.
func Lookup(prog string, env []string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	var saved error
	for _, dir := range searchPath(env) {
		full := dir + "/" + prog
		err := runnable(full)
		if err == nil {
			return full, nil
		}
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if !passOver(err) {
			return "", err
		}
	}
	if saved == nil {
		saved = syscall.ENOENT
	}
	return "", saved
}

// runnable is what execve(name) would fail with before reading the file:
// nil when the file is a regular one this process may execute.
func runnable(name string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(name, &st); err != nil {
		return err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return syscall.EACCES // execve's answer for a directory or a device
	}
	if err := unix.Faccessat(unix.AT_FDCWD, name, unix.X_OK, unix.AT_EACCESS); err != nil {
		var no syscall.Errno
		if errors.As(err, &no) {
			return no
		}
		return syscall.EACCES
	}
	return nil
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
