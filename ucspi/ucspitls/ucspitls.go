// Package ucspitls implements both ends of the UCSPI-TLS protocol, the way
// a program behind sslserver -n (qmail-smtpd, qmail-popup) starts TLS in
// the middle of a cleartext dialogue (STARTTLS, STLS) without linking a
// TLS library itself:
//
//   - The server hands the program three descriptors, named by the
//     environment variables SSLCTLFD (a control socket), SSLREADFD and
//     SSLWRITEFD (the cleartext side of the TLS session, once started).
//   - Until TLS starts the program talks to the client on its standard
//     input and output as usual.
//   - To start TLS the program writes one byte on the control socket: 'y'
//     to just start it, 'Y' to start it and receive the TLS environment
//     back. From then on it reads SSLREADFD and writes SSLWRITEFD.
//   - The 'Y' reply is a block of VAR=value entries, each ending in NUL,
//     and one more NUL after the last (an empty environment is two NULs).
//
// ucspi-ssl's ucspi-tls(2) manual describes the protocol; the block format
// is the one its sslserver writes.
package ucspitls

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Control bytes a program writes on SSLCTLFD.
const (
	StartTLS        = 'y' // start TLS
	StartTLSWithEnv = 'Y' // start TLS and send the TLS environment back
)

// MaxEnvBlock bounds the environment reply; a real one (SSL_* with a client
// certificate chain) is a few kilobytes.
const MaxEnvBlock = 1 << 20

// ErrBadBlock reports an environment reply that does not follow the format.
var ErrBadBlock = errors.New("malformed UCSPI-TLS environment block")

// EncodeEnv writes env (VAR=value entries) as an environment reply block.
// Entries containing a NUL are dropped: they cannot be represented.
func EncodeEnv(env []string) []byte {
	var b bytes.Buffer
	for _, e := range env {
		if strings.IndexByte(e, 0) >= 0 || !strings.Contains(e, "=") {
			continue
		}
		b.WriteString(e)
		b.WriteByte(0)
	}
	b.WriteByte(0)
	return b.Bytes()
}

// ReadEnv reads one environment reply block from r: entries up to the
// terminating empty entry. Every entry must have the form VAR=value.
func ReadEnv(r *bufio.Reader) ([]string, error) {
	var env []string
	total := 0
	for {
		entry, err := r.ReadBytes(0)
		total += len(entry)
		if err != nil {
			if err == io.EOF {
				return env, fmt.Errorf("%w: ends before its terminator", ErrBadBlock)
			}
			return env, err
		}
		if total > MaxEnvBlock {
			return env, fmt.Errorf("%w: longer than %d bytes", ErrBadBlock, MaxEnvBlock)
		}
		entry = entry[:len(entry)-1]
		if len(entry) == 0 {
			return env, nil
		}
		eq := bytes.IndexByte(entry, '=')
		if eq <= 0 {
			return env, fmt.Errorf("%w: entry %q is not VAR=value", ErrBadBlock, entry)
		}
		env = append(env, string(entry))
	}
}

// Session is the program's side: the three descriptors from the server.
type Session struct {
	ctl   *os.File
	Read  *os.File // cleartext from the client, after Start
	Write *os.File // cleartext to the client, after Start
}

// ErrNotOffered means the environment names no UCSPI-TLS descriptors: the
// program does not run under sslserver -n and must not offer STARTTLS.
var ErrNotOffered = errors.New("no UCSPI-TLS descriptors (SSLCTLFD, SSLREADFD, SSLWRITEFD)")

// FromEnv finds the descriptors named in the environment.
func FromEnv(lookup func(string) (string, bool)) (*Session, error) {
	var fds [3]int
	for i, name := range []string{"SSLCTLFD", "SSLREADFD", "SSLWRITEFD"} {
		v, ok := lookup(name)
		if !ok {
			return nil, ErrNotOffered
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad %s %q", name, v)
		}
		fds[i] = n
	}
	// Non-blocking descriptors are polled by the Go runtime, which is
	// what makes read deadlines (SMTP and POP3 timeouts) work on them.
	for _, fd := range fds {
		syscall.SetNonblock(fd, true)
	}
	return &Session{
		ctl:   os.NewFile(uintptr(fds[0]), "SSLCTLFD"),
		Read:  os.NewFile(uintptr(fds[1]), "SSLREADFD"),
		Write: os.NewFile(uintptr(fds[2]), "SSLWRITEFD"),
	}, nil
}

// Start asks the server to start TLS. With wantEnv it returns the TLS
// environment (SSL_PROTOCOL, SSL_CIPHER ...). The handshake runs in the
// server; an error here means the session cannot continue.
func (s *Session) Start(wantEnv bool) ([]string, error) {
	cmd := []byte{StartTLS}
	if wantEnv {
		cmd[0] = StartTLSWithEnv
	}
	if _, err := s.ctl.Write(cmd); err != nil {
		return nil, fmt.Errorf("unable to start TLS: %w", err)
	}
	if !wantEnv {
		return nil, nil
	}
	env, err := ReadEnv(bufio.NewReaderSize(s.ctl, 4096))
	if err != nil {
		return nil, fmt.Errorf("unable to start TLS: %w", err)
	}
	return env, nil
}
