// Package usertools holds qmail's small programs for .qmail files and
// maildirs, each a function named for the program:
//
//   - Preline (preline(1)): runs a command with UFLINE, RPLINE and DTLINE
//     put in front of the message;
//   - Forward (forward(1)): forwards the message to addresses, with
//     NEWSENDER as envelope sender;
//   - CondRedirect (condredirect(1)): forwards to an address when a
//     program exits 0, and then exits 99;
//   - BounceSaying (bouncesaying(1)): bounces with a message, always or
//     when a program exits 0;
//   - Except (except(1)): turns a program's success into a bounce;
//   - MaildirMake (maildirmake(1)), Maildir2mbox (maildir2mbox(1)) and
//     MaildirWatch (maildirwatch(1)).
//
// The delivery helpers speak qmail-command(8)'s exit codes: 0 success, 99
// success and skip the rest of the .qmail file, 100 permanent failure, 111
// temporary failure.
package usertools

import (
	"errors"
	"os"
	"os/exec"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/mta/internal/tempfail"
)

// ExitSkipRest is qmail-command(8)'s "delivered; ignore the rest of the
// .qmail file", condredirect's exit code after a redirect.
const ExitSkipRest = 99

// child runs argv as a child with the invocation's environment and
// descriptors (stdin replaced when in is non-nil). It returns the exit
// code; a program that cannot be run gives 111 if the reason may pass and
// 100 otherwise, as qmail's children do after a failed execvp.
func child(inv *cli.Invocation, argv []string, in *os.File) (code int, crashed bool) {
	path, err := pathexec.Lookup(argv[0], inv.Env)
	if err != nil {
		if tempfail.Temporary(err) {
			return cli.ExitTemporary, false
		}
		return cli.ExitPermanent, false
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = inv.Env
	cmd.Stdin = inv.Stdin
	if in != nil {
		cmd.Stdin = in
	}
	cmd.Stdout = inv.Stdout
	cmd.Stderr = inv.Stderr
	if err := cmd.Start(); err != nil {
		if tempfail.Temporary(err) {
			return cli.ExitTemporary, false
		}
		return cli.ExitPermanent, false
	}
	return waitCode(cmd.Wait())
}

func waitCode(err error) (code int, crashed bool) {
	if err == nil {
		return 0, false
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.Exited() {
			return ee.ExitCode(), false
		}
		return 0, true
	}
	return cli.ExitTemporary, false
}
