// Package sslclient is sslclient(1) of ucspi-ssl: tcpclient with TLS. It
// connects as tcpclient does, runs the TLS handshake, checks the server's
// certificate and runs the program with the cleartext on descriptors 6
// (read) and 7 (write). Because the TLS session must outlive the exec,
// sslclient stays as the program's parent, carries the traffic, and exits
// with the program's exit code.
//
// The options are those of fehcom's ucspi-ssl 0.9x-0.13 sslclient
// (sslclient.c, sslclient(1)) on top of tcpclient's:
//
//	-a cafile    CAs to verify the server with (else $CAFILE, else the system's)
//	-A cadir     a directory of more CAs (else $CADIR)
//	-c certfile  a client certificate (else $CERTFILE)
//	-k keyfile   its key (else $KEYFILE; unset: in the certificate file)
//	-z ciphers   TLS 1.2 suites (else $CIPHERS)
//	-V depth     longest chain below the root (else $VERIFYDEPTH, else 1)
//	-x / -X      verify the server's certificate (the default) / do not
//	-n / -N      check that it names the host (the default) / do not
//	-m / -M      send the host as SNI / do not (the default)
//	-e / -E      also set the TCP* variables / do not (the default)
//	-s / -S      give the program the SSL_* variables / do not (the default)
//	-w n         end the session after n idle seconds (3600)
//	-3           read a NUL-terminated key password from descriptor 3 (for a
//	             PKCS #8 PBES2 or traditional encrypted PEM key)
//	-y / -Y      delayed TLS: the program starts in cleartext and starts TLS
//	             through UCSPI-TLS (Scott Gifford's patch for sslclient) /
//	             TLS at once (the default)
//
// The program's environment has PROTO=SSL (SSL6 for IPv6), SSLLOCALIP,
// SSLLOCALPORT, SSLLOCALHOST, SSLREMOTEIP, SSLREMOTEPORT, SSLREMOTEHOST and
// SSLREMOTEINFO, and with -e the same as TCP*. IDENT is off unless -r.
//
// Exit codes: the program's; 100 for a usage error; 111 when the
// connection, the handshake or the certificate check fails, or the
// program cannot be run.
package sslclient

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/ucspi/client"
	"github.com/quail-mta/quail/ucspi/tlsconf"
	"github.com/quail-mta/quail/ucspi/tlsproxy"
)

// Options adds sslclient's letters to tcpclient's.
const Options = client.Options + "a:A:c:k:z:V:3eEsSnNxXmMyYw:"

const synopsis = "[ -46hHrRdDqQv3eEsSnNxXmMyY ] [ -i localip ] [ -p localport ] [ -T timeoutconn ] [ -l localname ] [ -t timeoutinfo ] [ -I interface ] [ -a cafile ] [ -A cadir ] [ -c certfile ] [ -z ciphers ] [ -k keyfile ] [ -V verifydepth ] [ -w progtimeout ] host port program"

// settings are sslclient's own options.
type settings struct {
	files      map[string]string // -a -A -c -k -z -V, by the variable they replace
	sslEnv     bool              // -s
	tcpEnv     bool              // -e
	verify     bool              // -x
	checkName  bool              // -n
	sni        bool              // -m
	keyFromFD3 bool              // -3
	password   []byte            // read from descriptor 3 for -3
	pwErr      error
	delayed    bool          // -y
	idle       time.Duration // -w
}

// fileOptions map -a -A -c -k -z -V to the variables they override.
var fileOptions = map[byte]string{
	'a': "CAFILE", 'A': "CADIR", 'c': "CERTFILE", 'k': "KEYFILE", 'z': "CIPHERS", 'V': "VERIFYDEPTH",
}

// Main runs sslclient and returns the program's exit code.
func Main(inv *cli.Invocation) int {
	st := settings{files: map[string]string{}, verify: true, checkName: true, idle: time.Hour}
	prog := client.Program{
		Name:     "sslclient",
		Options:  Options,
		Synopsis: synopsis,
		NoIdent:  true,
		Extra: func(c byte, arg string) bool {
			if name, ok := fileOptions[c]; ok {
				if c == 'V' {
					if _, err := strconv.ParseUint(arg, 10, 31); err != nil {
						return false
					}
				}
				st.files[name] = arg
				return true
			}
			switch c {
			case 's', 'S':
				st.sslEnv = c == 's'
			case 'e', 'E':
				st.tcpEnv = c == 'e'
			case 'x', 'X':
				st.verify = c == 'x'
			case 'n', 'N':
				st.checkName = c == 'n'
			case 'm', 'M':
				st.sni = c == 'm'
			case '3':
				if !st.keyFromFD3 {
					st.password, st.pwErr = tlsconf.ReadPasswordFD3()
				}
				st.keyFromFD3 = true
			case 'y', 'Y':
				st.delayed = c == 'y'
			case 'w':
				n, err := strconv.ParseUint(arg, 10, 31)
				if err != nil {
					return false
				}
				st.idle = time.Duration(n) * time.Second
			}
			return true
		},
		Launch: func(c client.Connection) int { return st.launch(inv, c) },
	}
	return client.Run(inv, prog)
}

// lookup reads the TLS settings: an option first, then the environment.
func (st *settings) lookup(inv *cli.Invocation) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if v, ok := st.files[k]; ok {
			return v, true
		}
		return inv.Getenv(k)
	}
}

// hostName is the name the certificate must carry: the host argument, or
// for 0 (this machine) the loopback address connected to.
func hostName(c client.Connection) string {
	if c.Host == "" || c.Host == "0" {
		return c.Info.IPText(c.Info.Remote.Addr())
	}
	return c.Host
}

func (st *settings) launch(inv *cli.Invocation, c client.Connection) int {
	if st.pwErr != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read password: %s", djberr.Text(st.pwErr))
	}
	name := hostName(c)
	sni := ""
	if st.sni {
		sni = name
	}
	cc, err := tlsconf.Client(st.lookup(inv), sni, st.password)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	opts := tlsproxy.Options{
		Config:           cc.TLS,
		HandshakeTimeout: c.Timeouts.First + c.Timeouts.Second,
		IdleTimeout:      st.idle,
		Env:              st.sslEnv,
	}
	if st.verify {
		check := ""
		if st.checkName {
			check = name
		}
		opts.Verify = func(cs tls.ConnectionState) error { return cc.VerifyServer(cs, check) }
	}
	if c.Verbose {
		opts.Handshaken = func(tls.ConnectionState) { io.WriteString(inv.Stderr, "sslclient: ssl connect\n") }
	}
	socket := os.NewFile(uintptr(c.FD), "socket")
	var sess *tlsproxy.Session
	var extra []*os.File
	env := connVars(c, st.tcpEnv)
	if st.delayed {
		// The program talks in cleartext on the socket itself (6 and 7)
		// and starts TLS through UCSPI-TLS on 3, 4 and 5.
		ours, err := dupCloexec(c.FD)
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to duplicate socket: %v", err)
		}
		if sess, err = tlsproxy.Delayed(ours, opts); err != nil {
			ours.Close()
			return inv.Fatal(cli.ExitTemporary, "%v", err)
		}
		child := sess.Child()
		extra = append(child.Extra, socket, socket)
		env = append(env, child.Env...)
	} else {
		conn, err := net.FileConn(socket)
		socket.Close()
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to use socket: %v", err)
		}
		if sess, err = tlsproxy.Immediate(conn, opts); err != nil {
			return handshakeFailed(inv, err)
		}
		child := sess.Child()
		// descriptors 3, 4 and 5 closed; 6 and 7 the cleartext
		extra = []*os.File{nil, nil, nil, child.Stdin, child.Stdout}
		env = append(env, child.Env...)
	}
	path, err := pathexec.Lookup(c.Argv[0], env)
	if err == nil {
		cmd := &exec.Cmd{Path: path, Args: c.Argv, Env: env, Stdin: inv.Stdin, Stdout: inv.Stdout, Stderr: inv.Stderr, ExtraFiles: extra}
		if err = cmd.Start(); err == nil {
			sess.CloseChildSide()
			socket.Close()
			werr := cmd.Wait()
			sess.ProgramExited()
			if err := sess.Wait(); err != nil {
				var he *tlsproxy.HandshakeError
				if errors.As(err, &he) {
					return handshakeFailed(inv, err)
				}
				// As ucspi-ssl's TLS process ends when its I/O fails (an
				// alert from the server, the idle timeout), whatever the
				// program did.
				return inv.Fatal(cli.ExitTemporary, "unable to speak SSL: %v", err)
			}
			return exitCode(werr)
		}
	}
	sess.CloseChildSide()
	socket.Close()
	sess.ProgramExited()
	return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", c.Argv[0], err)
}

// handshakeFailed reports a session that ended before any data: the
// certificate check's own message, or the handshake's cause.
func handshakeFailed(inv *cli.Invocation, err error) int {
	var ve *tlsconf.VerifyError
	if errors.As(err, &ve) {
		return inv.Fatal(cli.ExitTemporary, "%v", ve)
	}
	return inv.Fatal(cli.ExitTemporary, "unable to SSL connect: %s", strings.TrimPrefix(err.Error(), "TLS handshake failed: "))
}

// dupCloexec gives sslclient its own descriptor of the socket.
func dupCloexec(fd int) (*os.File, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), "socket"), nil
}

// exitCode is the program's exit code, 111 when it did not exit by itself.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Exited() {
			return ws.ExitStatus()
		}
	}
	return cli.ExitTemporary
}

// connVars sets ucspi-ssl's connection variables: PROTO=SSL (SSL6 for an
// IPv6 connection), the SSL* ones and with tcpEnv the TCP* ones, each
// removed when unknown, as sslclient.c does. Without tcpEnv the TCP*
// variables the program inherits are left as they are.
func connVars(c client.Connection, tcpEnv bool) []string {
	i := c.Info
	proto := "SSL"
	if i.Proto() == "TCP6" {
		proto = "SSL6"
	}
	vals := []struct {
		name  string
		value *string
	}{
		{"LOCALIP", text(i.IPText(i.Local.Addr()))},
		{"LOCALPORT", text(strconv.Itoa(int(i.Local.Port())))},
		{"LOCALHOST", i.LocalHost},
		{"REMOTEIP", text(i.IPText(i.Remote.Addr()))},
		{"REMOTEPORT", text(strconv.Itoa(int(i.Remote.Port())))},
		{"REMOTEHOST", i.RemoteHost},
		{"REMOTEINFO", i.RemoteInfo},
	}
	env := cli.Setenv(append([]string(nil), c.Env...), "PROTO", proto)
	prefixes := []string{"SSL"}
	if tcpEnv {
		prefixes = append(prefixes, "TCP")
	}
	for _, p := range prefixes {
		for _, v := range vals {
			if v.value == nil {
				env = cli.Unsetenv(env, p+v.name)
			} else {
				env = cli.Setenv(env, p+v.name, *v.value)
			}
		}
	}
	return env
}

func text(s string) *string { return &s }
