// Package sslclient is sslclient(1) of ucspi-ssl: tcpclient with TLS. It
// connects as tcpclient does, runs the TLS handshake, and runs the program
// with the cleartext on descriptors 6 (read) and 7 (write). Because the TLS
// session must outlive the exec, sslclient stays as the program's parent,
// carries the traffic, and exits with the program's exit code.
//
// The server's certificate is verified against CAFILE or CADIR when either
// is set, for the name given with -N (default: the host argument); without
// them the session is encrypted but not authenticated, and -v says so.
// CERTFILE and KEYFILE give a client certificate. -s gives the program the
// SSL_* variables; -w sets the idle timeout (default 3600 seconds).
package sslclient

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/ucspi/client"
	"github.com/quail-mta/quail/ucspi/tlsconf"
	"github.com/quail-mta/quail/ucspi/tlsproxy"
)

// Options adds sslclient's letters to tcpclient's.
const Options = client.Options + "sSN:w:"

const synopsis = "[ -46hHrRdDqQvsS ] [ -i localip ] [ -p localport ] [ -T timeoutconn ] [ -l localname ] [ -t timeoutinfo ] [ -N servername ] [ -w idle ] [ -I interface ] host port program"

// Main runs sslclient and returns the program's exit code.
func Main(inv *cli.Invocation) int {
	sslEnv := false
	name := ""
	idle := time.Hour
	prog := client.Program{
		Name:     "sslclient",
		Options:  Options,
		Synopsis: synopsis,
		Extra: func(c byte, arg string) bool {
			switch c {
			case 's':
				sslEnv = true
			case 'S':
				sslEnv = false
			case 'N':
				name = arg
			case 'w':
				n, err := strconv.Atoi(arg)
				if err != nil || n < 0 {
					return false
				}
				idle = time.Duration(n) * time.Second
			}
			return true
		},
		Launch: func(fd int, host string, env, argv []string) int {
			if name == "" {
				name = host
			}
			return launch(inv, fd, name, sslEnv, idle, env, argv)
		},
	}
	return client.Run(inv, prog)
}

func launch(inv *cli.Invocation, fd int, serverName string, sslEnv bool, idle time.Duration, env, argv []string) int {
	_, haveCA := inv.Getenv("CAFILE")
	if _, ok := inv.Getenv("CADIR"); ok {
		haveCA = true
	}
	cfg, err := tlsconf.Client(inv.Getenv, serverName, haveCA)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	f := os.NewFile(uintptr(fd), "socket")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to use socket: %v", err)
	}
	sess, err := tlsproxy.Immediate(conn, tlsproxy.Options{
		Config: cfg, HandshakeTimeout: 26 * time.Second, IdleTimeout: idle, Env: sslEnv,
	})
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	if !haveCA {
		inv.Warn("server certificate not verified: set CAFILE or CADIR")
	}
	child := sess.Child()
	path, err := pathexec.Lookup(argv[0], env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", argv[0], err)
	}
	cmd := &exec.Cmd{
		Path:   path,
		Args:   argv,
		Env:    append(env, child.Env...),
		Stdin:  inv.Stdin,
		Stdout: inv.Stdout,
		Stderr: inv.Stderr,
		// descriptors 3, 4 and 5 closed; 6 and 7 the cleartext
		ExtraFiles: []*os.File{nil, nil, nil, child.Stdin, child.Stdout},
	}
	if err := cmd.Start(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", argv[0], err)
	}
	sess.CloseChildSide()
	werr := cmd.Wait()
	sess.Wait()
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
