package qmtpd

import (
	"runtime"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/qmqp"
)

// Main is qmail-qmtpd: one QMTP connection on descriptors 0 and 1. It
// exits 0 when the client closes the connection, 100 when the client
// breaks the protocol, 111 on temporary trouble (qmail-qmtpd.c's codes).
func Main(inv *cli.Invocation) int {
	runtime.GOMAXPROCS(1)
	cfg, err := LoadConfig(qmailhome.Dir(inv.Getenv), inv.Env)
	if err != nil {
		return inv.Fatal(qmqp.ServerExitTemporary, "unable to read controls: %v", err)
	}
	in, out := cli.NetStdio()
	return qmqp.ServerExit(inv, Serve(cfg, in, out))
}
