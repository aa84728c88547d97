package inject

import (
	"errors"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
)

// Predate prepends a Date field in local time with a numeric zone, as
// predate(8) does, then feeds the message to the program and exits with
// its exit code (111 if it was killed).
func Predate(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("child")
	}
	path, err := pathexec.Lookup(inv.Args[1], inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", inv.Args[1], djberr.QmailText(err))
	}
	cmd := &exec.Cmd{Path: path, Args: inv.Args[1:], Env: inv.Env, Stdout: inv.Stdout, Stderr: inv.Stderr}
	w, err := cmd.StdinPipe()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create pipe: %s", djberr.QmailText(err))
	}
	if err := cmd.Start(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %s", inv.Args[1], djberr.QmailText(err))
	}
	_, err = io.WriteString(w, "Date: "+time.Now().Format("2 Jan 2006 15:04:05 -0700")+"\n")
	if err == nil {
		_, err = io.Copy(w, inv.Stdin)
	}
	w.Close()
	werr := cmd.Wait()
	if err != nil && !errors.Is(err, syscall.EPIPE) {
		return inv.Fatal(cli.ExitTemporary, "unable to copy message: %s", djberr.QmailText(err))
	}
	if werr == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Exited() {
			return ws.ExitStatus()
		}
	}
	return cli.ExitTemporary
}
