package smtpd

import (
	"bufio"
	"strings"

	"github.com/quail-mta/quail/ucspi/ucspitls"
)

// TLSMode is how STARTTLS is offered ($UCSPITLS, read by ucspitls.Setup).
type TLSMode = ucspitls.Mode

// The modes.
const (
	TLSOff     = ucspitls.Off
	TLSOffer   = ucspitls.Offer
	TLSRequire = ucspitls.Require
)

// TLSStarter starts TLS in the middle of the session (RFC 3207).
type TLSStarter = ucspitls.Starter

func tlsFromEnv(env Lookup) (TLSMode, TLSStarter, bool) {
	return ucspitls.Setup(env)
}

// tlsCertMode reads s/qmail's UCSPITLS values beyond ucspitls's: "?"
// requires STARTTLS and lets a client with a certificate sslserver
// verified relay; "@" also takes the certificate's e-mail address (else
// its common name) as the authenticated user (s/qmail's qmail-smtpd(8)).
// Other values than "", "!", "-" are warned about.
func (c *Config) tlsCertMode(env Lookup) {
	v, ok := env("UCSPITLS")
	if !ok {
		return
	}
	switch v {
	case "", "!", "-":
	case "?", "@":
		c.TLSMode = TLSRequire
		c.TLSCertRelay, c.TLSCertLogin = true, v == "@"
	default:
		as := ""
		if c.TLSMode == TLSRequire {
			as = "!"
		}
		c.warn("unknown UCSPITLS value %q, taken as %q", v, as)
	}
}

// certLogin applies the client certificate of a TLS session whose
// variables env holds, when $UCSPITLS asks for it.
func (s *Session) certLogin(env []string) {
	if !s.cfg.TLSCertRelay {
		return
	}
	get := func(k string) string {
		for _, e := range env {
			if v, ok := strings.CutPrefix(e, k+"="); ok {
				return v
			}
		}
		return ""
	}
	dn := get("SSL_CLIENT_S_DN")
	if get("SSL_CLIENT_VERIFY") != "SUCCESS" || dn == "" {
		return
	}
	s.certRelay = true
	extra := "DN:" + safeLog(dn)
	if s.cfg.TLSCertLogin {
		id := get("SSL_CLIENT_S_DN_Email")
		if id == "" {
			id = get("SSL_CLIENT_S_DN_CN")
		}
		if id == "" {
			id = dn
		}
		s.authUser = id
		extra += " A:" + safeLog(id)
	}
	s.logf(record{result: "Accept", stage: "TLS", reason: "Client_cert", extra: extra})
}

func (s *Session) tlsOffered() bool {
	return s.cfg.TLSMode != TLSOff && s.cfg.TLS != nil && !s.tlsActive
}

func (s *Session) cmdStarttls(arg string) error {
	switch {
	case s.tlsActive:
		s.answer(mistake(replyTLSActive))
		return nil
	case !s.tlsOffered():
		s.answer(mistake(replyUnimplemented))
		return nil
	case arg != "":
		s.answer(mistake(replyTLSSyntax))
		return nil
	}
	s.reply(replyTLSReady)
	if err := s.out.Flush(); err != nil {
		return err
	}
	// Anything the client sent after STARTTLS and before the handshake
	// was sent in the clear and must not be taken as a command from the
	// TLS session (CVE-2011-0411): drop it.
	if n := s.in.Buffered(); n > 0 {
		s.in.Discard(n)
		s.logf(record{result: "Reject", stage: "TLS", reason: "Pipelined_after_STARTTLS"})
	}
	env, r, w, err := s.cfg.TLS.StartTLS()
	if err != nil {
		s.logf(record{result: "Reject", stage: "TLS", reason: "Handshake"})
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
	s.logf(record{result: "Accept", stage: "TLS", reason: tlsSummary(env)})
	s.certLogin(env)
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
