package pop3

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/mta/throttle"
)

// Exit codes of qmail-popup and qmail-pop3d.
const (
	ExitOK         = 0
	ExitAuthFailed = 1   // qmail-popup: the login was refused
	ExitUsage      = 100 // cli.ExitPermanent
	ExitTemporary  = 111 // cli.ExitTemporary
)

// FailDelay is how long qmail-popup waits before answering a refused
// login.
const FailDelay = 2 * time.Second

// QmailPopup is qmail-popup(8): qmail-popup hostname checkpassword
// subprogram... It holds the AUTHORIZATION state on descriptors 0 and 1
// and runs "checkpassword subprogram..." for the login.
//
// Exit status: 0 after QUIT, end of input or a session that qmail-pop3d
// held; 1 after a refused login; 100 on a usage error; 111 on a timeout,
// an I/O error or a failed TLS start.
func QmailPopup(inv *cli.Invocation) int {
	runtime.GOMAXPROCS(1)
	if len(inv.Args) < 3 {
		inv.Stdout.WriteString("-ERR usage: popup hostname subprogram\r\n")
		inv.Usage("hostname checkpassword subprogram ...")
		return ExitUsage
	}
	hostname, child := inv.Args[1], inv.Args[2:]
	in, out := cli.NetStdio()
	ip, _ := inv.Getenv("TCPREMOTEIP")
	if ip == "" {
		ip, _ = inv.Getenv("SSLREMOTEIP")
	}
	cfg := &PopupConfig{
		Hostname:  hostname,
		Timestamp: Timestamp(os.Getpid(), time.Now(), hostname),
		Timeout:   DefaultTimeout,
		RemoteIP:  ip,
		FailDelay: FailDelay,
		Throttle:  throttle.New(qmailhome.Dir(inv.Getenv), time.Now),
	}
	cfg.TLSMode, cfg.TLS, cfg.TLSActive = TLSFromEnv(inv.Getenv)
	stderr, _ := inv.Stderr.(*os.File)
	cfg.Login = func(r LoginRequest) (checkpw.Verdict, error) {
		rin, ok1 := r.In.(*os.File)
		rout, ok2 := r.Out.(*os.File)
		if !ok1 || !ok2 {
			return checkpw.Temporary, fmt.Errorf("connection is not a file")
		}
		setBlocking(rin)
		setBlocking(rout)
		return checkpw.Check(child, r.Env, r.User, r.Secret, r.Timestamp, rin, rout, stderr)
	}
	p := NewPopup(cfg, in, out, inv.Stderr, inv.Env)
	err := p.Run()
	switch {
	case err == nil:
		return ExitOK
	case err == ErrAuthFailed:
		return ExitAuthFailed
	}
	if !isTimeout(err) {
		inv.Warn("%v", err)
	}
	return ExitTemporary
}

// QmailPop3d is qmail-pop3d(8): qmail-pop3d maildirname. It serves the
// Maildir (relative to the working directory checkpassword chose) on
// descriptors 0 and 1.
//
// Exit status: 0 whenever the session has started, whatever happened in
// it (qmail-pop3d's trouble goes to the client and to descriptor 2), so
// that qmail-popup logs the login as good; 100 without a maildir name.
func QmailPop3d(inv *cli.Invocation) int {
	runtime.GOMAXPROCS(1)
	if len(inv.Args) < 2 || inv.Args[1] == "" {
		inv.Stdout.WriteString("-ERR this user has no $HOME/Maildir\r\n")
		inv.Usage("maildirname")
		return ExitUsage
	}
	in, out := cli.NetStdio()
	m := NewMaildrop(inv.Args[1], in, out, DefaultTimeout, inv.Stderr)
	if err := m.Run(); err != nil && !isTimeout(err) {
		inv.Warn("%v", err)
	}
	return ExitOK
}
