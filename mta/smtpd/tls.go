package smtpd

import (
	"bufio"
	"io"
	"strings"

	"github.com/quail-mta/quail/ucspi/ucspitls"
)

// TLSMode is how STARTTLS is offered, from $UCSPITLS: unset or "-" off,
// "!" required before MAIL, anything else offered.
type TLSMode int

const (
	TLSOff TLSMode = iota
	TLSOffer
	TLSRequire
)

// TLSStarter starts TLS in the middle of the session (RFC 3207) and
// returns the cleartext stream from then on.
type TLSStarter interface {
	StartTLS() (env []string, r io.Reader, w io.Writer, err error)
}

// ucspiStarter starts TLS through the UCSPI-TLS descriptors of sslserver -n.
type ucspiStarter struct{ s *ucspitls.Session }

func (u ucspiStarter) StartTLS() ([]string, io.Reader, io.Writer, error) {
	env, err := u.s.Start(true)
	if err != nil {
		return nil, nil, nil, err
	}
	return env, u.s.Read, u.s.Write, nil
}

// tlsFromEnv reads $UCSPITLS and the UCSPI-TLS descriptors. TLS is
// already on when sslserver ran the handshake before starting us.
func tlsFromEnv(env Lookup) (mode TLSMode, starter TLSStarter, active bool) {
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
		if s, err := ucspitls.FromEnv(func(k string) (string, bool) { return env(k) }); err == nil {
			starter = ucspiStarter{s}
		}
	}
	return mode, starter, active
}

func (s *Session) tlsOffered() bool {
	return s.cfg.TLSMode != TLSOff && s.cfg.TLS != nil && !s.tlsActive
}

func (s *Session) cmdStarttls(arg string) error {
	if s.tlsActive {
		s.fail(503, "5.5.1", "TLS already active (#5.5.1)")
		return nil
	}
	if !s.tlsOffered() {
		s.fail(502, "5.5.1", "unimplemented (#5.5.1)")
		return nil
	}
	if arg != "" {
		s.fail(501, "5.5.4", "syntax error (#5.5.4)")
		return nil
	}
	s.reply(220, "2.0.0", "ready to start TLS")
	if err := s.out.Flush(); err != nil {
		return err
	}
	// Anything the client sent after STARTTLS and before the handshake
	// was sent in the clear and must not be taken as a command from the
	// TLS session (CVE-2011-0411): drop it.
	if n := s.in.Buffered(); n > 0 {
		s.in.Discard(n)
		s.logf("Reject", "TLS", "Pipelined_after_STARTTLS", "", "")
	}
	env, r, w, err := s.cfg.TLS.StartTLS()
	if err != nil {
		s.logf("Reject", "TLS", "Handshake", "", "")
		return err
	}
	s.tlsActive = true
	s.tlsEnv = env
	s.env = append(append([]string{}, s.env...), env...)
	s.in = bufio.NewReaderSize(r, 8192)
	s.out = bufio.NewWriterSize(timedWriter{w, s.cfg.Timeout}, 4096)
	s.conn = r
	// RFC 3207 4.2: the client starts over with EHLO, and nothing it
	// said in the clear counts, a login included.
	s.helo = ""
	s.esmtp = false
	s.authUser = ""
	s.resetTransaction()
	s.logf("Accept", "TLS", tlsSummary(env), "", "")
	return nil
}

func tlsSummary(env []string) string {
	proto, cipher := "", ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "SSL_PROTOCOL="); ok {
			proto = v
		}
		if v, ok := strings.CutPrefix(e, "SSL_CIPHER="); ok {
			cipher = v
		}
	}
	return safeLog(proto + "_" + cipher)
}
