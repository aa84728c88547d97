package usertools

import (
	"fmt"
	"io"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/qqueue"
)

// inject sends DTLINE and the message on stdin to qmail-queue for
// recipients, from sender. It prints "name: qp N" on success.
func inject(inv *cli.Invocation, msg io.Reader, sender, dtline string, recips []string, okCode int) int {
	in := qqueue.Injection{
		Home:    qmailhome.Dir(inv.Getenv),
		Program: qqueue.Program(inv.Getenv),
		Env:     inv.Env,
		Stderr:  inv.Stderr,
	}
	r := in.Run([]byte(dtline), msg, sender, recips)
	if !r.OK() {
		code := cli.ExitTemporary
		if r.Permanent() {
			code = cli.ExitPermanent
		}
		return inv.Fatal(code, "%s", r.Reason())
	}
	fmt.Fprintf(inv.Stderr, "%s: qp %d\n", inv.Name, r.Pid)
	return okCode
}

// Forward is forward(1): it forwards the message on stdin to the
// addresses in its arguments, with NEWSENDER as the envelope sender and
// DTLINE in front, as qmail-local's own forwarding does.
func Forward(inv *cli.Invocation) int {
	sender, ok := inv.Getenv("NEWSENDER")
	if !ok {
		return inv.Fatal(cli.ExitPermanent, "NEWSENDER not set")
	}
	dtline, ok := inv.Getenv("DTLINE")
	if !ok {
		return inv.Fatal(cli.ExitPermanent, "DTLINE not set")
	}
	return inject(inv, inv.Stdin, sender, dtline, inv.Args[1:], 0)
}

// CondRedirect is condredirect(1): it runs program; if that exits 0 the
// message goes to newaddress (envelope sender SENDER) and condredirect
// exits 99 so that qmail-local skips the rest of the .qmail file; 111 is a
// temporary failure; any other code lets delivery go on (exit 0).
func CondRedirect(inv *cli.Invocation) int {
	if len(inv.Args) < 3 {
		return inv.Usage("newaddress program [ arg ... ]")
	}
	code, crashed := child(inv, inv.Args[2:], nil)
	switch {
	case crashed:
		return inv.Fatal(cli.ExitTemporary, "child crashed")
	case code == cli.ExitTemporary:
		return inv.Fatal(cli.ExitTemporary, "temporary child error")
	case code != 0:
		return 0
	}
	if _, err := inv.Stdin.Seek(0, io.SeekStart); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to rewind: %v", err)
	}
	sender, ok := inv.Getenv("SENDER")
	if !ok {
		return inv.Fatal(cli.ExitPermanent, "SENDER not set")
	}
	dtline, ok := inv.Getenv("DTLINE")
	if !ok {
		return inv.Fatal(cli.ExitPermanent, "DTLINE not set")
	}
	return inject(inv, inv.Stdin, sender, dtline, []string{inv.Args[1]}, ExitSkipRest)
}
