package usertools

import (
	"io"

	"github.com/quail-mta/quail/internal/cli"
)

// Except is except(1): it runs program and reverses its verdict: exit 0
// becomes 100 (bounce), 111 stays a temporary failure, anything else
// becomes 0.
func Except(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("program [ arg ... ]")
	}
	code, crashed := child(inv, inv.Args[1:], nil)
	switch {
	case crashed:
		return inv.Fatal(cli.ExitTemporary, "child crashed")
	case code == 0:
		return cli.ExitPermanent
	case code == cli.ExitTemporary:
		return inv.Fatal(cli.ExitTemporary, "temporary child error")
	}
	return 0
}

// BounceSaying is bouncesaying(1): without a program it bounces the
// message, printing error; with one, it bounces only if the program exits
// 0 (111 is a temporary failure, anything else lets the message through).
func BounceSaying(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("error [ program [ arg ... ] ]")
	}
	if len(inv.Args) > 2 {
		code, crashed := child(inv, inv.Args[2:], nil)
		switch {
		case crashed:
			return inv.Fatal(cli.ExitTemporary, "child crashed")
		case code == cli.ExitTemporary:
			return inv.Fatal(cli.ExitTemporary, "temporary child error")
		case code != 0:
			return 0
		}
	}
	// The text is the bounce's explanation, printed as it is.
	io.WriteString(inv.Stderr, inv.Args[1]+"\n")
	return cli.ExitPermanent
}
