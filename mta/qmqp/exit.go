package qmqp

import (
	"errors"
	"os"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/netstring"
)

// Exit codes of qmail-qmqpd and qmail-qmtpd.
const (
	ServerExitOK        = 0   // answered, or the client left
	ServerExitProtocol  = 100 // the client broke the protocol
	ServerExitTemporary = 111 // controls or queue unavailable, timeout, absurd length
)

// ServerExit maps a server engine's result to qmail's exit code, with a
// diagnostic for temporary trouble (the original is silent; tcpserver's
// log is the better for a line).
func ServerExit(inv *cli.Invocation, err error) int {
	switch {
	case err == nil:
		return ServerExitOK
	case errors.Is(err, netstring.ErrFormat):
		return ServerExitProtocol
	case errors.Is(err, netstring.ErrTooLong):
		return inv.Fatal(ServerExitTemporary, "unable to read from client: netstring length over limit")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return inv.Fatal(ServerExitTemporary, "unable to read from client: timed out")
	case strings.HasPrefix(err.Error(), "unable to "):
		return inv.Fatal(ServerExitTemporary, "%v", err)
	default:
		return inv.Fatal(ServerExitTemporary, "unable to read from client: %v", err)
	}
}
