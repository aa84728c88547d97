// Package sslserver is sslserver(1) of ucspi-ssl: tcpserver with TLS. It
// takes every tcpserver option and adds ucspi-ssl's:
//
//	-n / -N   delayed TLS: the program starts on the cleartext socket and
//	          starts TLS through UCSPI-TLS (STARTTLS, STLS) / TLS at once
//	-s / -S   give the program the SSL_* variables / do not
//	-e / -E   also set the TCP* variables (the default) / do not
//	-z / -Z   require a client certificate naming the client's host / do not
//	-m        require a verified client certificate
//	-T n      handshake timeout in seconds (26)
//	-w n      idle timeout of a TLS session in seconds (3600)
//
// The certificate comes from CERTFILE and KEYFILE (or CERTCHAINFILE), and,
// beyond ucspi-ssl, per server name from CERTDIR (package tlsconf). Every
// file is read at start: a missing certificate is a fatal error, not a
// failure of each connection.
//
// Where ucspi-ssl forks a TLS process per connection, the TLS side of
// every connection runs inside sslserver (package tlsproxy), so a session
// costs the program's process and a few goroutines here. When SSL_CHROOT,
// SSL_UID, SSL_GID, SSL_USER or SSL_GROUP give the TLS side an identity of
// its own, it runs in one helper process with that identity instead
// (helper.go).
//
//	-V        -v, and the protocol and cipher of each session in its log
//	-3        read the key password from descriptor 3
//
// Per connection (from the environment or its rule): CCAVERIFY requires a
// verified client certificate, CCAFILE=- asks for none.
package sslserver

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/ucspi/server"
	"github.com/quail-mta/quail/ucspi/tcpserver"
	"github.com/quail-mta/quail/ucspi/tlsconf"
	"github.com/quail-mta/quail/ucspi/tlsenv"
	"github.com/quail-mta/quail/ucspi/tlsproxy"
)

// Options adds ucspi-ssl's letters to tcpserver's.
const Options = tcpserver.Options + "3eEsSnNzZmVw:T:"

const synopsis = "[ -461UXpPhHrRoOdDqQvVnNsSeEzZm ] [ -c limit ] [ -C maxconip ] [ -x rules.cdb ] [ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -t timeout ] [ -T handshake ] [ -w idle ] [ -I interface ] host port program"

// settings are the TLS options.
type settings struct {
	delayed   bool
	sslEnv    bool
	tcpEnv    bool
	auth      tlsconf.ClientAuth
	handshake time.Duration
	idle      time.Duration
	tlsInfo   bool // -V
}

// configs are the TLS configurations a connection may get: the one the
// options and the environment make, and the ones its rules can ask for
// (CCAVERIFY, CCAFILE=-).
type configs struct {
	base    *tls.Config
	require *tls.Config // a verified client certificate required; nil without CAs
	noAsk   *tls.Config // no client certificate asked for
}

func newConfigs(base *tls.Config) configs {
	c := configs{base: base, noAsk: base.Clone()}
	c.noAsk.ClientAuth = tls.NoClientCert
	if base.ClientCAs != nil {
		c.require = base.Clone()
		c.require.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c
}

// Main runs sslserver and returns its exit code.
func Main(inv *cli.Invocation) int {
	return Run(inv, Program{Name: "sslserver", Synopsis: synopsis})
}

// Program is a server built on sslserver: sslserver itself, or sslprint,
// which runs a program of its own for every connection.
type Program struct {
	Name     string // for diagnostics and log lines
	Synopsis string
	// Argv and Path, when Argv is set, are the program every connection
	// runs, and the command line ends with host and port.
	Argv []string
	Path string
}

// Run parses sslserver's options and serves as p.
func Run(inv *cli.Invocation, p Program) int {
	if len(inv.Args) > 0 && inv.Args[0] == helperName {
		return runHelper(inv)
	}
	st := settings{tcpEnv: true, handshake: 26 * time.Second, idle: time.Hour}
	keyFromFD3 := false
	var password []byte
	var pwErr error
	prog := tcpserver.Program{
		Name:     p.Name,
		Options:  Options,
		Synopsis: p.Synopsis,
		Argv:     p.Argv,
		Path:     p.Path,
		Extra: func(c byte, arg string) bool {
			switch c {
			case 'n':
				st.delayed = true
			case 'N':
				st.delayed = false
			case 's':
				st.sslEnv = true
			case 'S':
				st.sslEnv = false
			case 'e':
				st.tcpEnv = true
			case 'E':
				st.tcpEnv = false
			case 'z':
				st.auth = tlsconf.ClientCertRequiredName
			case 'Z':
				st.auth = tlsconf.ClientCertOptional
			case 'm':
				st.auth = tlsconf.ClientCertRequired
			case '3':
				// Read now, before anything else opens a descriptor.
				if !keyFromFD3 {
					password, pwErr = tlsconf.ReadPasswordFD3()
				}
				keyFromFD3 = true
			case 'V':
				st.tlsInfo = true
			case 'T', 'w':
				n, err := strconv.Atoi(arg)
				if err != nil || n < 0 {
					return false
				}
				if c == 'T' {
					st.handshake = time.Duration(n) * time.Second
				} else {
					st.idle = time.Duration(n) * time.Second
				}
			}
			return true
		},
		Setup: func(cfg *server.Config) error {
			if pwErr != nil {
				return fmt.Errorf("unable to read password: %s", djberr.Text(pwErr))
			}
			if st.tlsInfo && !cfg.Quiet {
				cfg.Verbose = true // -V is -v and more
			}
			id, separate, err := tlsIdentity(inv.Getenv, cfg.UID, cfg.GID)
			if err != nil {
				return err
			}
			if separate {
				h, err := startHelper(inv, st, id, password)
				if err != nil {
					return err
				}
				cfg.Prepare = h.prepare(st)
				return nil
			}
			tc, err := tlsconf.Server(inv.Getenv, st.auth, password)
			if err != nil {
				return err
			}
			cfg.Prepare = st.prepare(newConfigs(tc))
			return nil
		},
	}
	return tcpserver.Run(inv, prog)
}

// request is what the TLS side of a connection needs to know of it
// beyond the settings.
type request struct {
	noAsk     bool   // CCAFILE=- in its environment: no client certificate asked for
	ccaVerify bool   // CCAVERIFY: a verified client certificate required
	host      string // its remote host name, for -z
}

// requestFor reads a connection's environment (sslserver's own and its
// rule's variables) for what its TLS side must do, as sslserver(1) has
// it for CCAFILE and CCAVERIFY.
func requestFor(env []string) request {
	var r request
	if v, ok := cli.Lookup(env, "CCAFILE"); ok && v == "-" {
		r.noAsk = true
	} else if _, ok := cli.Lookup(env, "CCAVERIFY"); ok {
		r.ccaVerify = true
	}
	r.host, _ = lookup(env, "TCPREMOTEHOST", "SSLREMOTEHOST")
	return r
}

// side is the TLS side of one connection, ready for its program.
type side struct {
	sess  *tlsproxy.Session
	child tlsproxy.Child
	info  string // "PROTOCOL:CIPHER" of an immediate handshake
}

// startTLS sets up the TLS side of a connection on sock, which it takes:
// the handshake at once, or with -n the UCSPI-TLS descriptors, in which
// case handshaken gets "PROTOCOL:CIPHER" when the program starts TLS.
func (st settings) startTLS(cs configs, req request, sock *os.File, handshaken func(info string)) (*side, error) {
	opts := tlsproxy.Options{
		Config:           cs.base,
		Server:           true,
		HandshakeTimeout: st.handshake,
		IdleTimeout:      st.idle,
		Env:              st.sslEnv,
	}
	switch {
	case req.noAsk:
		opts.Config = cs.noAsk
	case req.ccaVerify:
		if cs.require == nil {
			sock.Close()
			return nil, fmt.Errorf("unable to verify client certificate (CCAVERIFY): no CAFILE or CADIR")
		}
		opts.Config = cs.require
	}
	if st.auth == tlsconf.ClientCertRequiredName && !req.noAsk {
		host := req.host
		opts.Verify = func(cs tls.ConnectionState) error {
			if host == "" {
				return fmt.Errorf("client certificate required to name the client, whose host name is unknown")
			}
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("no client certificate")
			}
			return cs.PeerCertificates[0].VerifyHostname(host)
		}
	}
	if st.delayed {
		opts.Handshaken = func(cst tls.ConnectionState) { handshaken(tlsInfo(cst)) }
		sess, err := tlsproxy.Delayed(sock, opts)
		if err != nil {
			sock.Close()
			return nil, err
		}
		return &side{sess: sess, child: sess.Child()}, nil
	}
	var info string
	opts.Handshaken = func(cst tls.ConnectionState) { info = tlsInfo(cst) }
	conn, err := net.FileConn(sock)
	sock.Close()
	if err != nil {
		return nil, err
	}
	sess, err := tlsproxy.Immediate(conn, opts)
	if err != nil {
		return nil, fmt.Errorf("TLS handshake failed: %v", unwrapTLS(err))
	}
	return &side{sess: sess, child: sess.Child(), info: info}, nil
}

func tlsInfo(cs tls.ConnectionState) string {
	return tlsenv.ProtocolName(cs.Version) + ":" + tlsenv.CipherName(cs.CipherSuite)
}

// prepare returns the hook that gives each connection its TLS side, in
// this process.
func (st settings) prepare(cs configs) func(*server.Session) error {
	return func(s *server.Session) error {
		s.Env = sslVars(s.Env, st.tcpEnv)
		own, err := dupCloexec(s.FD)
		if err != nil {
			return fmt.Errorf("unable to duplicate socket: %v", err)
		}
		// -v logs each session's handshake with the program's pid, -V
		// with its protocol and cipher, as sslserver 0.12 does.
		pid := make(chan int, 1)
		sd, err := st.startTLS(cs, requestFor(s.Env), own, func(info string) { s.Log(st.tlsLine(<-pid, info)) })
		if err != nil {
			return err
		}
		sess, child := sd.sess, sd.child
		if st.delayed {
			for _, f := range child.Extra {
				s.Extra = append(s.Extra, int(f.Fd()))
			}
		} else {
			s.Stdin = int(child.Stdin.Fd())
			s.Stdout = int(child.Stdout.Fd())
		}
		s.Env = append(s.Env, child.Env...)
		s.Started = func(p int) {
			if st.delayed {
				pid <- p
			} else {
				s.Log(st.tlsLine(p, sd.info))
			}
			sess.CloseChildSide()
		}
		s.Finished = func(int) { sess.ProgramExited() }
		s.Abort = sess.CloseChildSide
		return nil
	}
}

// tlsLine is the log line of a session's handshake: "tls PID accept", and
// with -V " PROTOCOL:CIPHER" after it (sslserver 0.12's verbosity 3).
func (st settings) tlsLine(pid int, info string) string {
	line := "tls " + strconv.Itoa(pid) + " accept"
	if st.tlsInfo {
		line += " " + info
	}
	return line
}

func unwrapTLS(err error) error {
	msg := err.Error()
	return fmt.Errorf("%s", strings.TrimPrefix(msg, "TLS handshake failed: "))
}

// sslVars adds ucspi-ssl's connection variables (PROTO=SSL, SSLLOCALIP
// ... mirroring the TCP ones) and, with -E, removes the TCP ones.
func sslVars(env []string, keepTCP bool) []string {
	out := make([]string, 0, len(env)+8)
	var add []string
	for _, e := range env {
		name, value, _ := strings.Cut(e, "=")
		if rest, ok := strings.CutPrefix(name, "TCP"); ok && !strings.HasPrefix(name, "TCP6") {
			add = append(add, "SSL"+rest+"="+value)
			if !keepTCP {
				continue
			}
		}
		if name == "PROTO" {
			continue
		}
		out = append(out, e)
	}
	out = append(out, "PROTO=SSL")
	return append(out, add...)
}

func lookup(env []string, keys ...string) (string, bool) {
	for _, k := range keys {
		if v, ok := cli.Lookup(env, k); ok {
			return v, true
		}
	}
	return "", false
}

// dupCloexec gives this process its own descriptor of the socket, which
// the server closes once the program has started.
func dupCloexec(fd int) (*os.File, error) {
	nfd, err := fcntlDup(fd)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), "socket"), nil
}

func fcntlDup(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}
