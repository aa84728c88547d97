package chain

import (
	"errors"
	"os"
	"os/exec"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
)

// fghackCopies is how many descriptors of the pipe's write end the child
// gets: the one pipe(2) returned plus the original's 30 dup(2)s.
const fghackCopies = 31

// Fghack runs fghack(8): fghack child. It runs child with many copies of a
// pipe's write end and waits until every copy is closed, which happens
// only when child and every process it left in the background have exited
// (or closed them). It then exits with child's exit code, 111 if child was
// killed by a signal or could not be run, 100 on a usage error.
//
// As in the original (where pipe(2) gives descriptors 3 and 4), descriptor
// 3 is closed in the child and descriptors 4 to 34 are the write end.
func Fghack(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("child")
	}
	argv := inv.Args[1:]
	path, err := lookPath(argv[0], inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", argv[0], err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create pipe: %v", err)
	}
	defer r.Close()
	extra := make([]*os.File, 1+fghackCopies)
	for i := 1; i < len(extra); i++ {
		extra[i] = w
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: inv.Env, Stderr: inv.Stderr, ExtraFiles: extra}
	if inv.Stdin != nil {
		cmd.Stdin = inv.Stdin
	}
	if inv.Stdout != nil {
		cmd.Stdout = inv.Stdout
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", argv[0], unwrapPath(err))
	}
	// Anything written to the pipe is discarded; only its end matters.
	var buf [512]byte
	for {
		if _, err := r.Read(buf[:]); err != nil {
			break
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return inv.Fatal(cli.ExitTemporary, "wait failed: %v", err)
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return inv.Fatal(cli.ExitTemporary, "child crashed")
	}
	return ws.ExitStatus()
}
