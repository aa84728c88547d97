package ucspitls

import (
	"io"
	"strings"
)

// Mode is how a program offers TLS in mid-session (STARTTLS, STLS), from
// the administrator's convention $UCSPITLS: unset or "-" off, "!"
// required before the client may go on, any other value offered.
type Mode int

const (
	Off Mode = iota
	Offer
	Require
)

// Starter starts TLS in the middle of a session and returns the
// cleartext streams from then on, with the TLS environment.
type Starter interface {
	StartTLS() (env []string, r io.Reader, w io.Writer, err error)
}

// StartTLS makes a Session a Starter.
func (s *Session) StartTLS() ([]string, io.Reader, io.Writer, error) {
	env, err := s.Start(true)
	if err != nil {
		return nil, nil, nil, err
	}
	return env, s.Read, s.Write, nil
}

// Setup reads what a program under sslserver needs to know: the mode,
// the starter (nil when the UCSPI-TLS descriptors are missing, so TLS
// cannot be offered), and whether TLS is already on because sslserver
// ran the handshake before starting the program (then a requirement is
// met and nothing is offered).
func Setup(env func(string) (string, bool)) (mode Mode, starter Starter, active bool) {
	if v, ok := env("SSL_PROTOCOL"); ok && v != "" {
		active = true
	}
	_, delayed := env("SSLCTLFD")
	if v, ok := env("PROTO"); ok && (v == "SSL" || v == "TLS") && !delayed {
		active = true
	}
	if _, ok := env("SSLREMOTEIP"); ok && !delayed {
		active = true
	}
	v, ok := env("UCSPITLS")
	switch {
	case !ok || v == "-":
		mode = Off
	case strings.HasPrefix(v, "!"):
		mode = Require
	default:
		mode = Offer
	}
	if mode != Off && !active {
		if s, err := FromEnv(env); err == nil {
			starter = s
		}
	}
	return mode, starter, active
}
