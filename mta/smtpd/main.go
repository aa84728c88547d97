package smtpd

import (
	"runtime"
	"strings"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// Main is qmail-smtpd: one SMTP session on descriptors 0 and 1.
//
// Exit status: 0 after an orderly end, 1 when the control files cannot be
// read (after answering 421, as qmail-smtpd does), 111 on a read error or
// timeout.
func Main(inv *cli.Invocation) int {
	// One session is one sequence of commands: a single P keeps the
	// runtime from waking threads to run its few goroutines in parallel,
	// which thousands of concurrent sessions would pay for in processor
	// time and memory.
	runtime.GOMAXPROCS(1)
	home := qmailhome.Dir(inv.Getenv)
	in, out := cli.NetStdio()
	cfg, err := LoadConfig(home, inv.Getenv)
	if err != nil {
		out.WriteString("421 unable to read controls (#4.3.0)\r\n")
		inv.Warn("unable to read controls: %v", err)
		return 1
	}
	cfg.CheckPassword = inv.Args[1:]
	f := &cfg.Filters
	if f.SPFBehavior > 0 || f.MFDNSCheck || strings.Contains(f.HeloCheck, "=") {
		r, err := dnsclient.FromEnv(inv.Getenv)
		if err != nil {
			out.WriteString("421 unable to read DNS configuration (#4.3.0)\r\n")
			inv.Warn("unable to read DNS configuration: %v", err)
			return 1
		}
		f.DNS = r
	}
	s := NewSession(cfg, in, out, inv.Stderr, inv.Env)
	if err := s.Run(); err != nil {
		return cli.ExitTemporary
	}
	return 0
}
