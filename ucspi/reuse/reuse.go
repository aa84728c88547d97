// Package reuse lets tcpserver give connections, one after another, to a
// program it started once, instead of starting the program for every
// connection: Postfix's smtpd processes serve many clients in turn the
// same way (max_use).
//
// It is off unless the administrator asks for it (TCPSERVERREUSE), and
// only quail's own programs that know the protocol take part
// (qmail-smtpd). Each connection still has a process to itself while it
// lasts, with the environment tcpserver would have started the program
// with; only the process's start is shared.
//
// The protocol runs over a SOCK_SEQPACKET socket pair, the program's end
// on the descriptor named by TCPSERVERWORKER:
//
//	tcpserver -> program: the connection's environment, each entry ended
//	                      by a NUL, with the socket as SCM_RIGHTS
//	program -> tcpserver: 4 bytes, big-endian: what the program's exit
//	                      code for the connection would have been
//
// tcpserver sends the next connection only after the answer. The program
// exits when tcpserver closes its end.
package reuse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/internal/cli"
)

// EnvMaxUse is read by tcpserver: how many connections one process may
// serve. Unset, empty, 0 and 1 keep the original one process per
// connection.
const EnvMaxUse = "TCPSERVERREUSE"

// EnvWorker is set by tcpserver in a reusable program's environment: the
// descriptor of its end of the socket pair. Nobody else should set it.
const EnvWorker = "TCPSERVERWORKER"

// WorkerFD is the descriptor the program's end is given as.
const WorkerFD = 3

// MaxEnv bounds one connection's environment on the wire. A connection
// whose environment is larger is served by a program started for it.
const MaxEnv = 60 << 10

// ErrEnvTooLarge is Send's error for an environment over MaxEnv.
var ErrEnvTooLarge = errors.New("environment too large to hand over")

// MaxUse reads EnvMaxUse: 0 means off.
func MaxUse(getenv func(string) (string, bool)) (int, error) {
	v, ok := getenv(EnvMaxUse)
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad %s %q: want a number of connections", EnvMaxUse, v)
	}
	if n == 1 {
		n = 0
	}
	return n, nil
}

// Fits tells whether env can be handed over (Send refuses it otherwise).
func Fits(env []string) bool { return wireSize(env) <= MaxEnv }

func wireSize(env []string) int {
	n := 0
	for _, e := range env {
		n += len(e) + 1
	}
	return n
}

// EncodeEnv is the wire form of an environment.
func EncodeEnv(env []string) []byte {
	b := make([]byte, 0, wireSize(env))
	for _, e := range env {
		b = append(b, e...)
		b = append(b, 0)
	}
	return b
}

// DecodeEnv reads an environment in wire form. Entries hold no NUL by
// construction; one without '=' or with an empty name is refused, as
// is a message that does not end with a NUL.
func DecodeEnv(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[len(b)-1] != 0 {
		return nil, errors.New("environment not terminated")
	}
	parts := strings.Split(string(b[:len(b)-1]), "\x00")
	for _, p := range parts {
		if i := strings.IndexByte(p, '='); i <= 0 {
			return nil, fmt.Errorf("bad environment entry %q", p)
		}
	}
	return parts, nil
}

// Pair makes a socket pair: ours (close-on-exec, for the poller) and the
// program's, to be given to it as WorkerFD.
func Pair() (ours *net.UnixConn, theirs *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fds[0]), "reuse")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return c.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "reuse-worker"), nil
}

// Send hands the connection fd with its environment to the program. The
// caller keeps its own fd and closes it.
func Send(c *net.UnixConn, fd int, env []string) error {
	if !Fits(env) {
		return ErrEnvTooLarge
	}
	b := EncodeEnv(env)
	if len(b) == 0 {
		b = []byte{0} // a packet with no data cannot be told from EOF
	}
	n, oobn, err := c.WriteMsgUnix(b, syscall.UnixRights(fd), nil)
	if err == nil && (n != len(b) || oobn == 0) {
		err = errors.New("short write")
	}
	return err
}

// Result waits for the program's answer for the connection last sent:
// its exit code. io.EOF means the program closed its end (it is exiting
// and will be reaped); another error, that it broke the protocol.
func Result(c *net.UnixConn) (int, error) {
	var b [8]byte
	n, err := c.Read(b[:])
	if err != nil {
		return 0, err
	}
	if n != 4 {
		return 0, errors.New("bad answer from reused program")
	}
	return int(binary.BigEndian.Uint32(b[:4])), nil
}

// Worker is the program's side.
type Worker struct {
	c   *net.UnixConn
	buf []byte
}

// FromEnv returns the program's side when tcpserver started it to be
// reused (env has EnvWorker), and nil otherwise. The process's own
// environment loses EnvWorker either way; what the program serves and
// starts gets the environment tcpserver sends with each connection,
// which never has it.
func FromEnv(env []string) (*Worker, error) {
	v, ok := cli.Lookup(env, EnvWorker)
	os.Unsetenv(EnvWorker)
	if !ok {
		return nil, nil
	}
	if v != strconv.Itoa(WorkerFD) {
		return nil, fmt.Errorf("bad %s %q", EnvWorker, v)
	}
	if t, err := syscall.GetsockoptInt(WorkerFD, syscall.SOL_SOCKET, syscall.SO_TYPE); err != nil || t != syscall.SOCK_SEQPACKET {
		return nil, fmt.Errorf("%s: descriptor %d is not tcpserver's socket", EnvWorker, WorkerFD)
	}
	f := os.NewFile(WorkerFD, "tcpserver")
	c, err := net.FileConn(f) // a close-on-exec duplicate
	f.Close()
	if err != nil {
		return nil, err
	}
	return &Worker{c: c.(*net.UnixConn)}, nil
}

// Next waits for the next connection: the socket, pollable, and the
// environment to serve it with. An error means there is none to come
// (tcpserver closed its end, or broke the protocol) and the program
// should exit.
func (w *Worker) Next() (*os.File, []string, error) {
	if w.buf == nil {
		w.buf = make([]byte, MaxEnv+1)
	}
	buf := w.buf
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, flags, _, err := w.c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, err
	}
	fds := rights(oob[:oobn])
	if n == 0 && len(fds) == 0 {
		closeAll(fds)
		return nil, nil, errEOF
	}
	if flags&(syscall.MSG_TRUNC|syscall.MSG_CTRUNC) != 0 || len(fds) != 1 {
		closeAll(fds)
		return nil, nil, errors.New("bad message from tcpserver")
	}
	if n == 1 && buf[0] == 0 {
		n = 0
	}
	env, err := DecodeEnv(buf[:n])
	if err != nil {
		closeAll(fds)
		return nil, nil, err
	}
	// Pollable, so the program's read deadlines work on it.
	syscall.SetNonblock(fds[0], true)
	return os.NewFile(uintptr(fds[0]), "socket"), env, nil
}

// Done reports the connection's exit code to tcpserver.
func (w *Worker) Done(code int) error {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(code))
	_, err := w.c.Write(b[:])
	return err
}

// Loop serves connections until tcpserver closes its end (or the
// protocol breaks): serve gets each socket with its environment and
// returns the exit code a process of its own would have had; the socket
// is closed after it.
func (w *Worker) Loop(serve func(conn *os.File, env []string) int) {
	for {
		conn, env, err := w.Next()
		if err != nil {
			return
		}
		code := serve(conn, env)
		conn.Close()
		if w.Done(code) != nil {
			return
		}
	}
}

var errEOF = errors.New("tcpserver closed the socket")

func rights(oob []byte) []int {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if f, err := syscall.ParseUnixRights(&m); err == nil {
			fds = append(fds, f...)
		}
	}
	return fds
}

func closeAll(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}
