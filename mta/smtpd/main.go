package smtpd

import (
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/internal/rawsys"
	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/ucspi/reuse"
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
	// For the same reason the queue's and the log's system calls need not
	// wake the runtime's monitor (package rawsys).
	rawsys.Enable()
	w, err := reuse.FromEnv(inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	if w == nil {
		in, out := cli.NetStdio()
		return Serve(inv, in, out)
	}
	// Started by tcpserver to serve its connections in turn: each with
	// the environment and the exit code it would have had in a process
	// of its own.
	w.Loop(func(conn *os.File, env []string) int {
		sinv := *inv
		sinv.Env, sinv.Stdin, sinv.Stdout = env, conn, conn
		return Serve(&sinv, conn, conn)
	})
	return 0
}

// warned holds the configuration warnings given: a process serving one
// connection after another (TCPSERVERREUSE) gives each only once.
var warned sync.Map

// warnConfig gives the configuration's warnings not given before.
func warnConfig(cfg *Config, warn func(string, ...any)) {
	for _, w := range cfg.Warnings {
		if _, seen := warned.LoadOrStore(w, true); !seen {
			warn("%s", w)
		}
	}
}

// Serve is one SMTP session on in and out, which must be pollable (read
// deadlines), with inv's arguments and environment; it returns the exit
// code Main would. rblsmtpd runs it in its own process when tcpserver
// reuses that (package reuse).
func Serve(inv *cli.Invocation, in, out *os.File) int {
	home := qmailhome.Dir(inv.Getenv)
	cfg, err := LoadConfig(home, inv.Getenv)
	if err != nil {
		out.WriteString(replyNoControls.Line(false))
		inv.Warn("unable to read controls: %v", err)
		return 1
	}
	cfg.CheckPassword = inv.Args[1:]
	cfg.AuthCapable, _ = checkpw.Capabilities(cfg.CheckPassword, inv.Env)
	warnConfig(cfg, inv.Warn)
	f := &cfg.Filters
	if f.SPFBehavior > 0 || f.MFDNSCheck || f.HeloCheck.needsDNS() {
		r, err := dnsclient.FromEnv(inv.Getenv)
		if err != nil {
			out.WriteString(replyNoDNSConfig.Line(false))
			inv.Warn("unable to read DNS configuration: %v", err)
			return 1
		}
		f.DNS = r
	}
	conn := func(f *os.File) io.ReadWriter {
		if c, ok := rawsys.NewConn(f); ok {
			return c
		}
		return f
	}
	r := conn(in)
	var w io.Writer = r // one socket for both, as reuse hands it over
	if out != in {
		w = conn(out)
	}
	log := inv.Stderr
	if f, ok := log.(*os.File); ok {
		log = rawsys.Writer{F: f}
	}
	s := NewSession(cfg, r, w, log, inv.Env)
	if err := s.Run(); err != nil {
		return cli.ExitTemporary
	}
	return 0
}
