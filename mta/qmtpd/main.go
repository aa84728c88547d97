package qmtpd

import (
	"errors"
	"runtime"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/netstring"
)

// Exit codes of qmail-qmtpd (qmail-qmtpd.c).
const (
	ExitOK        = 0   // the client closed the connection
	ExitProtocol  = 100 // the client broke the protocol
	ExitTemporary = 111 // controls unreadable, queue unavailable, timeout
)

// Main is qmail-qmtpd: one QMTP connection on descriptors 0 and 1.
func Main(inv *cli.Invocation) int {
	runtime.GOMAXPROCS(1)
	cfg, err := LoadConfig(qmailhome.Dir(inv.Getenv), inv.Env)
	if err != nil {
		return inv.Fatal(ExitTemporary, "unable to read controls: %v", err)
	}
	in, out := cli.NetStdio()
	return exitCode(inv, Serve(cfg, in, out))
}

func exitCode(inv *cli.Invocation, err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, netstring.ErrFormat):
		return ExitProtocol
	default:
		return inv.Fatal(ExitTemporary, "%v", err)
	}
}
