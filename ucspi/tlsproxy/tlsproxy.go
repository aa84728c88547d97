// Package tlsproxy runs the TLS side of an sslserver or sslclient
// connection inside the server's own process, so that the program it runs
// for the connection (qmail-smtpd, qmail-pop3d ...) sees only cleartext on
// ordinary descriptors. ucspi-ssl forks a separate TLS process for every
// connection; here each connection costs a few goroutines in the one
// server process instead.
//
// Two modes, as sslserver has them:
//
//   - Immediate (implicit TLS, SMTPS and POP3S): the handshake happens
//     first; the program's standard input and output are the cleartext.
//   - Delayed (-n, for STARTTLS and STLS): the program's standard input and
//     output are the raw socket, and it gets the UCSPI-TLS descriptors
//     (package ucspitls): writing 'y' or 'Y' on SSLCTLFD makes this side run
//     the handshake on the socket and carry the cleartext over SSLREADFD and
//     SSLWRITEFD.
package tlsproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/ucspi/tlsenv"
	"github.com/quail-mta/quail/ucspi/ucspitls"
)

// Options tune one proxied connection.
type Options struct {
	Config           *tls.Config
	Server           bool          // run the server side of the handshake
	HandshakeTimeout time.Duration // -T; 0 means none
	IdleTimeout      time.Duration // -w: no byte either way for this long ends the session
	// Env says whether the program gets the SSL_* variables (sslserver -s).
	Env bool
	// Verify, when set, runs after the handshake (client certificate name
	// checks of -z); an error ends the connection.
	Verify func(tls.ConnectionState) error
	// Handshaken, when set, is told of each session that passed the
	// handshake and Verify (sslserver -v logs it).
	Handshaken func(tls.ConnectionState)
}

// HandshakeError is a session that failed before any data passed: in
// the handshake, or in the check of Options.Verify (its error is kept as
// it is, for the caller's message).
type HandshakeError struct{ Err error }

func (e *HandshakeError) Error() string { return e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }

// Child is what the program for the connection is given.
type Child struct {
	Stdin, Stdout *os.File
	// Extra are the descriptors from 3 on (os/exec's ExtraFiles order).
	Extra []*os.File
	// Env holds variables to add: SSL_* in immediate mode with -s, the
	// UCSPI-TLS descriptor numbers in delayed mode.
	Env []string
}

// Session is one proxied connection.
type Session struct {
	child  Child
	done   chan struct{}
	err    error
	parent []*os.File // our copies of the child's descriptors, closed by CloseChildSide

	exited   chan struct{} // closed by ProgramExited
	exitOnce sync.Once
}

func newSession(parent ...*os.File) *Session {
	return &Session{done: make(chan struct{}), exited: make(chan struct{}), parent: parent}
}

// ProgramExited tells the session the program is gone. A session the
// program half-closed (it stopped writing and went on reading) ends now
// instead of when the peer closes.
func (s *Session) ProgramExited() {
	s.exitOnce.Do(func() { close(s.exited) })
}

// Child returns the descriptors and variables for the program.
func (s *Session) Child() Child { return s.child }

// CloseChildSide closes this process's copies of the descriptors given to
// the program; call it once the program has been started.
func (s *Session) CloseChildSide() {
	for _, f := range s.parent {
		f.Close()
	}
	s.parent = nil
}

// Wait blocks until the proxy is finished (both directions closed) and
// returns why it ended, nil for an orderly end.
func (s *Session) Wait() error {
	<-s.done
	return s.err
}

// localCert returns the leaf this side presents, for SSL_SERVER_* variables.
func localCert(cfg *tls.Config, st tls.ConnectionState) *x509.Certificate {
	if cfg.GetCertificate != nil {
		c, err := cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: st.ServerName})
		if err == nil && c != nil && len(c.Certificate) > 0 {
			leaf, err := x509.ParseCertificate(c.Certificate[0])
			if err == nil {
				return leaf
			}
		}
	}
	if len(cfg.Certificates) > 0 && len(cfg.Certificates[0].Certificate) > 0 {
		if leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0]); err == nil {
			return leaf
		}
	}
	return nil
}

func (o *Options) handshake(conn net.Conn) (*tls.Conn, []string, error) {
	var tc *tls.Conn
	if o.Server {
		tc = tls.Server(conn, o.Config)
	} else {
		tc = tls.Client(conn, o.Config)
	}
	ctx := context.Background()
	if o.HandshakeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.HandshakeTimeout)
		defer cancel()
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, &HandshakeError{fmt.Errorf("TLS handshake failed: %w", err)}
	}
	st := tc.ConnectionState()
	if o.Verify != nil {
		if err := o.Verify(st); err != nil {
			return nil, nil, &HandshakeError{err}
		}
	}
	if o.Handshaken != nil {
		o.Handshaken(st)
	}
	side := tlsenv.ServerSide
	if !o.Server {
		side = tlsenv.ClientSide
	}
	return tc, tlsenv.Vars(st, side, localCert(o.Config, st)), nil
}

// Immediate runs the handshake on conn now and returns the session whose
// child descriptors carry the cleartext. On error conn is closed.
func Immediate(conn net.Conn, o Options) (*Session, error) {
	tc, vars, err := o.handshake(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	childSide, ourSide, err := socketPair()
	if err != nil {
		conn.Close()
		return nil, err
	}
	s := newSession(childSide)
	s.child = Child{Stdin: childSide, Stdout: childSide}
	if o.Env {
		s.child.Env = vars
	}
	go func() {
		s.err = pump(tc, ourSide, halfCloser{ourSide}, ourSide, o.IdleTimeout, s.exited)
		ourSide.Close()
		conn.Close()
		close(s.done)
	}()
	return s, nil
}

// Delayed prepares the UCSPI-TLS descriptors: the program talks on the raw
// socket (its standard input and output) until it asks for TLS on
// SSLCTLFD. raw is this side's own descriptor of the socket, which the
// session owns and closes; it is turned into a network connection only
// when the program asks for TLS, because that makes the socket
// non-blocking for every descriptor of it, and the program must not see
// that while it still uses the socket itself. The descriptor numbers in
// Env are 3, 4 and 5, the three files of Extra.
func Delayed(raw *os.File, o Options) (*Session, error) {
	ctlChild, ctlOurs, err := socketPair()
	if err != nil {
		return nil, err
	}
	readChild, readOurs, err := os.Pipe() // program reads cleartext here
	if err != nil {
		ctlChild.Close()
		ctlOurs.Close()
		return nil, err
	}
	writeOurs, writeChild, err := os.Pipe() // program writes cleartext here
	if err != nil {
		for _, f := range []*os.File{ctlChild, ctlOurs, readChild, readOurs} {
			f.Close()
		}
		return nil, err
	}
	s := newSession(ctlChild, readChild, writeChild)
	s.child = Child{
		Extra: []*os.File{ctlChild, readChild, writeChild},
		Env:   []string{"SSLCTLFD=3", "SSLREADFD=4", "SSLWRITEFD=5"},
	}
	go func() {
		defer close(s.done)
		defer raw.Close()
		defer ctlOurs.Close()
		defer readOurs.Close()
		defer writeOurs.Close()
		var cmd [1]byte
		n, err := ctlOurs.Read(cmd[:])
		if n == 0 || err != nil {
			// The program ended or closed the control socket without
			// asking for TLS: nothing to do, as s6-ucspitlsd does.
			return
		}
		if cmd[0] != ucspitls.StartTLS && cmd[0] != ucspitls.StartTLSWithEnv {
			s.err = fmt.Errorf("unknown UCSPI-TLS command %q", cmd[0])
			return
		}
		conn, err := net.FileConn(raw)
		if err != nil {
			s.err = err
			return
		}
		defer conn.Close()
		tc, vars, err := o.handshake(conn)
		if err != nil {
			s.err = err
			return
		}
		if cmd[0] == ucspitls.StartTLSWithEnv {
			if _, err := ctlOurs.Write(ucspitls.EncodeEnv(vars)); err != nil {
				s.err = err
				return
			}
		}
		s.err = pump(tc, writeOurs, readOurs, readOurs, o.IdleTimeout, s.exited)
	}()
	return s, nil
}

// pump copies between the TLS connection and the program until both
// directions end. from is what the program writes, to what it reads. Only
// the TLS side's failures are returned: the program's side ending in any
// way (an exit with unread input resets a socket pair) is its own end.
//
// When the program stops writing, the peer gets a close_notify; if the
// program is still there to read (it only half-closed, as mconnect-io does
// at the end of its input), what the peer sends until it closes is still
// delivered, as ucspi-ssl's ssl_io does. toFile is the descriptor behind
// to, polled to tell the two apart; exited is closed when the program is
// known to be gone, which ends a half-closed session.
func pump(tc *tls.Conn, from io.Reader, to io.WriteCloser, toFile *os.File, idle time.Duration, exited <-chan struct{}) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	note := func(err error) {
		if err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) {
			return
		}
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	activity := make(chan struct{}, 1)
	touch := func() {
		select {
		case activity <- struct{}{}:
		default:
		}
	}
	stop := make(chan struct{})
	if idle > 0 {
		go func() {
			t := time.NewTimer(idle)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-activity:
					t.Reset(idle)
				case <-t.C:
					note(errors.New("idle timeout"))
					tc.Close()
					if c, ok := from.(io.Closer); ok {
						c.Close()
					}
					return
				}
			}
		}()
	}
	wg.Add(2)
	readDone := make(chan struct{})
	go func() { // network -> program
		defer wg.Done()
		defer close(readDone)
		buf := make([]byte, 16<<10)
		for {
			n, err := tc.Read(buf)
			if n > 0 {
				touch()
				if _, werr := to.Write(buf[:n]); werr != nil {
					break // the program is gone
				}
			}
			if err != nil {
				note(err)
				break
			}
		}
		to.Close()
	}()
	go func() { // program -> network
		defer wg.Done()
		buf := make([]byte, 16<<10)
		for {
			n, err := from.Read(buf)
			if n > 0 {
				touch()
				if _, werr := tc.Write(buf[:n]); werr != nil {
					note(werr)
					break
				}
			}
			if err != nil {
				break // the program is done writing or gone
			}
		}
		tc.CloseWrite()
		if readerGone(toFile) {
			tc.Close() // nobody left to read what the peer sends
			return
		}
		select {
		case <-exited:
			tc.Close()
		case <-readDone:
		}
	}()
	wg.Wait()
	close(stop)
	return first
}

// socketPair returns a connected pair: the child's end stays blocking, as
// a program written in any language expects its descriptors; ours is
// non-blocking so the Go runtime polls it instead of parking a thread per
// connection.
func socketPair() (child, ours *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("unable to create socket pair: %w", err)
	}
	if err := syscall.SetNonblock(fds[1], true); err != nil {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "child"), os.NewFile(uintptr(fds[1]), "proxy"), nil
}

// readerGone reports whether the program has closed its end of f, the
// descriptor it reads: a socket pair whose peer is closed polls as hung
// up, a pipe whose read end is closed as an error, while a peer that only
// shut down its writing shows neither.
func readerGone(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return true
	}
	gone := true
	rc.Control(func(fd uintptr) {
		pfd := []unix.PollFd{{Fd: int32(fd)}}
		for {
			n, err := unix.Poll(pfd, 0)
			if err == unix.EINTR {
				continue
			}
			gone = err != nil || (n > 0 && pfd[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0)
			return
		}
	})
	return gone
}

// halfCloser ends one direction of a socket pair: the program sees end of
// file on its input while it can still write its last reply.
type halfCloser struct{ f *os.File }

func (h halfCloser) Write(b []byte) (int, error) { return h.f.Write(b) }

func (h halfCloser) Close() error {
	rc, err := h.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_WR) }); err != nil {
		return err
	}
	return serr
}
