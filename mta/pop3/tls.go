package pop3

import (
	"io"
	"strings"

	"github.com/quail-mta/quail/ucspi/ucspitls"
)

// TLSMode is how STLS is offered, from $UCSPITLS: unset or "-" off, "!"
// required before USER, PASS and APOP, anything else offered.
type TLSMode int

const (
	TLSOff TLSMode = iota
	TLSOffer
	TLSRequire
)

// TLSStarter starts TLS in the middle of the session (RFC 2595) and
// returns the cleartext streams from then on.
type TLSStarter interface {
	StartTLS() (env []string, r io.Reader, w io.Writer, err error)
}

// ucspiStarter starts TLS through sslserver -n's UCSPI-TLS descriptors.
type ucspiStarter struct{ s *ucspitls.Session }

func (u ucspiStarter) StartTLS() ([]string, io.Reader, io.Writer, error) {
	env, err := u.s.Start(true)
	if err != nil {
		return nil, nil, nil, err
	}
	return env, u.s.Read, u.s.Write, nil
}

// TLSFromEnv reads $UCSPITLS and the UCSPI-TLS descriptors. TLS is
// already on when sslserver ran the handshake before starting us; then
// STLS is not offered and a requirement is met.
func TLSFromEnv(env func(string) (string, bool)) (mode TLSMode, starter TLSStarter, active bool) {
	if v, ok := env("SSL_PROTOCOL"); ok && v != "" {
		active = true
	}
	if v, ok := env("PROTO"); ok && (v == "SSL" || v == "TLS") {
		if _, delayed := env("SSLCTLFD"); !delayed {
			active = true
		}
	}
	v, ok := env("UCSPITLS")
	switch {
	case !ok || v == "-":
		mode = TLSOff
	case strings.HasPrefix(v, "!"):
		mode = TLSRequire
	default:
		mode = TLSOffer
	}
	if mode != TLSOff && !active {
		if s, err := ucspitls.FromEnv(env); err == nil {
			starter = ucspiStarter{s}
		}
	}
	return mode, starter, active
}
