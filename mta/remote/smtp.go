package remote

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/tlsrpt"
)

// Envelope is one delivery: the sender and the recipients, already in the
// form they take on the wire (local parts quoted where needed).
type Envelope struct {
	Sender string
	Recips []string
}

// SMTPOptions is what one SMTP session needs besides the connection.
type SMTPOptions struct {
	Helo    string
	Timeout time.Duration // per read or write (control/timeoutremote)
	TLS     TLSPolicy
	// ServerName is the name the certificate should carry (the MX or relay
	// name); empty for an address literal.
	ServerName string
	User, Pass string // AUTH credentials from smtproutes
	// Check is what DANE or MTA-STS asks of this session (policy.go);
	// nil when neither is configured for the destination.
	Check *TLSCheck
}

// TLSCheck is what a policy (DANE, MTA-STS, or none found) asks of one
// session, and what the session did about it.
type TLSCheck struct {
	// Require: no delivery without TLS. With it, the policy takes the
	// place of control/tlsdestinations for the session.
	Require bool
	// Verify checks the server's chain (DER, its own certificate first);
	// nil takes any certificate. Its error carries a TLS-RPT result type
	// (resultOf).
	Verify func(chain [][]byte) error
	// Enforce: a Verify failure ends the session; otherwise it is only
	// noted (MTA-STS's testing mode).
	Enforce bool
	// Policy names the policy in texts: "the MTA-STS policy of
	// example.com", "the DANE TLSA records of mx.example.com".
	Policy string

	// Result is set by the session once it knows: tlsrpt.Success or a
	// failure type; "" when the session ended before STARTTLS.
	Result string
	// Failed says the session ended because of the policy, before any
	// recipient was tried: the caller may try the next MX.
	Failed    bool
	verifyErr error
}

// session is one SMTP dialogue (RFC 5321) with a server at ip.
type session struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	ip   string
	opt  SMTPOptions
	rep  *Report
	ext  Extensions
	tls  bool
	utf8 bool // the message goes with SMTPUTF8 (RFC 6531)
	// critical is set once the final dot is sent: a connection lost before
	// the reply may leave the message delivered.
	critical bool
}

// errHandshake marks a STARTTLS handshake that failed on an opportunistic
// route: the caller tries the same address again in plain text.
var errHandshake = errors.New("TLS handshake failed")

// deadlineConn applies the per-operation timeout of qmail's timeoutread
// and timeoutwrite to every read and write.
type deadlineConn struct {
	net.Conn
	d time.Duration
}

func (c deadlineConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.d))
	return c.Conn.Read(b)
}

func (c deadlineConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.d))
	return c.Conn.Write(b)
}

// SMTP runs the dialogue on conn, reporting each recipient on rep, and
// returns the message's outcome. plain forbids STARTTLS (the retry after a
// failed opportunistic handshake). A non-nil error is errHandshake.
func SMTP(conn net.Conn, ip string, opt SMTPOptions, env Envelope, msg *Message, rep *Report, plain bool) (Outcome, error) {
	dc := deadlineConn{conn, opt.Timeout}
	s := &session{conn: dc, br: bufio.NewReaderSize(dc, 4096), bw: bufio.NewWriterSize(dc, 16<<10), ip: ip, opt: opt, rep: rep}
	return s.run(env, msg, plain)
}

func (s *session) quit(code byte, prefix, suffix string, r *Reply) Outcome {
	s.bw.WriteString("QUIT\r\n")
	s.bw.Flush()
	text := prefix + s.ip + suffix + ".\n"
	if r != nil {
		text += remoteSaid(*r)
	}
	return Outcome{code, text}
}

func (s *session) dropped() Outcome {
	text := "Connected to " + s.ip + " but connection died. "
	if s.critical {
		text += "Possible duplicate! "
	}
	return Outcome{Temporary, text + "(#4.4.2)\n"}
}

func (s *session) send(lines ...string) error {
	for _, l := range lines {
		s.bw.WriteString(l)
		s.bw.WriteString("\r\n")
	}
	return s.bw.Flush()
}

func (s *session) read() (Reply, error) { return ReadReply(s.br) }

// cmd sends one command and reads its reply.
func (s *session) cmd(line string) (Reply, error) {
	if err := s.send(line); err != nil {
		return Reply{}, err
	}
	return s.read()
}

func (s *session) run(env Envelope, msg *Message, plain bool) (Outcome, error) {
	r, err := s.read()
	if err != nil {
		return s.dropped(), nil
	}
	if r.Code != 220 {
		return s.quit(Temporary, "Connected to ", " but greeting failed", &r), nil
	}
	if o, ok := s.hello(); !ok {
		return o, nil
	}
	if o, ok, err := s.startTLS(plain); !ok || err != nil {
		return o, err
	}
	if s.opt.User != "" {
		if o, ok := s.auth(); !ok {
			return o, nil
		}
	}
	if why := NeedsSMTPUTF8(env, msg); why != "" {
		if !s.ext.Has("SMTPUTF8") {
			// RFC 6531 3.4: such a message is not sent in another form;
			// it bounces, saying why.
			return s.quit(Permanent, "Connected to ", " but it does not offer SMTPUTF8, "+why, nil), nil
		}
		s.utf8 = true
	}
	if limit := s.ext.SizeLimit(); limit > 0 && msg.SMTPSize() > limit {
		return s.quit(Permanent, "Connected to ", " but the message is larger than it accepts (#5.3.4)", nil), nil
	}
	return s.transaction(env, msg), nil
}

// hello sends EHLO, and HELO when EHLO is refused.
func (s *session) hello() (Outcome, bool) {
	r, err := s.cmd("EHLO " + s.opt.Helo)
	if err != nil {
		return s.dropped(), false
	}
	if r.Code == 250 {
		s.ext = ParseEHLO(r.Lines)
		return Outcome{}, true
	}
	s.ext = Extensions{}
	r, err = s.cmd("HELO " + s.opt.Helo)
	if err != nil {
		return s.dropped(), false
	}
	if r.Code != 250 {
		return s.quit(Temporary, "Connected to ", " but my name was rejected", &r), false
	}
	return Outcome{}, true
}

// startTLS negotiates TLS as the destination's policy says.
func (s *session) startTLS(plain bool) (Outcome, bool, error) {
	pol := s.opt.TLS
	ck := s.opt.Check
	if ck != nil && ck.Require {
		pol = TLSPolicy{Mode: TLSRequired} // the policy's own check replaces the file's
	}
	if plain && !pol.Mode.required() {
		return Outcome{}, true, nil // the retry in plain text: its check is done
	}
	if pol.Mode == TLSOff {
		ck.note(tlsrpt.STARTTLSNotSupported)
		return Outcome{}, true, nil
	}
	if !s.ext.Has("STARTTLS") {
		ck.note(tlsrpt.STARTTLSNotSupported)
		if ck != nil && ck.Require {
			ck.Failed = true
			return s.quit(Temporary, "Connected to ", " but it does not offer STARTTLS, which "+ck.Policy+" requires (#4.7.0)", nil), false, nil
		}
		if pol.Mode.required() {
			return s.quit(Temporary, "Connected to ", " but it does not offer STARTTLS, which this destination requires (#4.7.0)", nil), false, nil
		}
		return Outcome{}, true, nil
	}
	r, err := s.cmd("STARTTLS")
	if err != nil {
		return s.dropped(), false, nil
	}
	if r.Code != 220 {
		ck.note(tlsrpt.STARTTLSNotSupported)
		if ck != nil && ck.Require {
			ck.Failed = true
			return s.quit(Temporary, "Connected to ", " but STARTTLS was rejected, which "+ck.Policy+" does not allow", &r), false, nil
		}
		if pol.Mode.required() {
			return s.quit(Temporary, "Connected to ", " but STARTTLS was rejected", &r), false, nil
		}
		return Outcome{}, true, nil
	}
	cfg, err := clientTLS(pol, s.opt.ServerName)
	if err != nil {
		return Outcome{Temporary, "Unable to set up TLS for " + s.ip + ": " + safe(err.Error()) + ". (#4.3.0)\n"}, false, nil
	}
	ck.hook(cfg)
	tc := tls.Client(s.conn, cfg)
	if err := tc.Handshake(); err != nil {
		if ck != nil && ck.verifyErr != nil && ck.Enforce {
			ck.note(resultOf(ck.verifyErr))
			ck.Failed = true
			return Outcome{Temporary, "Connected to " + s.ip + " but its certificate does not satisfy " + ck.Policy + ": " + oneLine(ck.verifyErr.Error()) + ". (#4.7.5)\n"}, false, nil
		}
		ck.note(tlsrpt.ValidationFailure)
		if ck != nil && ck.Require {
			ck.Failed = true
			return Outcome{Temporary, "Connected to " + s.ip + " but the TLS handshake failed, and " + ck.Policy + " requires TLS: " + oneLine(err.Error()) + ". (#4.7.0)\n"}, false, nil
		}
		if !pol.Mode.required() {
			return Outcome{}, false, errHandshake
		}
		return Outcome{Temporary, "Connected to " + s.ip + " but the TLS handshake failed: " + oneLine(err.Error()) + ". (#4.7.0)\n"}, false, nil
	}
	if ck != nil && ck.verifyErr != nil {
		ck.note(resultOf(ck.verifyErr)) // testing mode: noted, not enforced
	}
	ck.note(tlsrpt.Success)
	s.tls = true
	s.br = bufio.NewReaderSize(tc, 4096)
	s.bw = bufio.NewWriterSize(tc, 16<<10)
	// RFC 3207 section 4.2: forget what was said in the clear.
	if o, ok := s.hello(); !ok {
		return o, false, nil
	}
	return Outcome{}, true, nil
}

// note sets the session's result once: the first thing known decides.
func (ck *TLSCheck) note(result string) {
	if ck != nil && ck.Result == "" {
		ck.Result = result
	}
}

// hook adds the policy's certificate check to cfg. A check that enforces
// replaces cfg's own verification (DANE-EE certificates need not chain
// to any root); one that only observes runs after it.
func (ck *TLSCheck) hook(cfg *tls.Config) {
	if ck == nil || ck.Verify == nil {
		return
	}
	if ck.Require {
		cfg.InsecureSkipVerify = true
		cfg.VerifyPeerCertificate = nil
	}
	prev := cfg.VerifyPeerCertificate
	cfg.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
		if prev != nil {
			if err := prev(raw, chains); err != nil {
				return err
			}
		}
		if err := ck.Verify(raw); err != nil {
			ck.verifyErr = err
			if ck.Enforce {
				return err
			}
		}
		return nil
	}
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return ' '
		}
		return r
	}, s)
}

// clientTLS builds the TLS client configuration for a policy.
func clientTLS(pol TLSPolicy, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if pol.Mode < TLSVerify {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	var roots *x509.CertPool
	if pol.CAFile != "" {
		pem, err := os.ReadFile(pol.CAFile)
		if err != nil {
			return nil, err
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", pol.CAFile)
		}
	}
	if pol.Mode == TLSVerifyName && serverName != "" {
		cfg.RootCAs = roots
		return cfg, nil
	}
	// Chain only: verify by hand without the name.
	cfg.InsecureSkipVerify = true
	cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, b := range raw {
			c, err := x509.ParseCertificate(b)
			if err != nil {
				return err
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
	return cfg, nil
}

// auth logs in with the route's credentials (RFC 4954), PLAIN preferred,
// then LOGIN.
func (s *session) auth() (Outcome, bool) {
	mechs := s.ext.AuthMechanisms()
	has := func(m string) bool {
		for _, x := range mechs {
			if x == m {
				return true
			}
		}
		return false
	}
	b64 := base64.StdEncoding.EncodeToString
	var r Reply
	var err error
	switch {
	case has("PLAIN"):
		r, err = s.cmd("AUTH PLAIN " + b64([]byte("\x00"+s.opt.User+"\x00"+s.opt.Pass)))
	case has("LOGIN"):
		if r, err = s.cmd("AUTH LOGIN"); err == nil && r.Code == 334 {
			if r, err = s.cmd(b64([]byte(s.opt.User))); err == nil && r.Code == 334 {
				r, err = s.cmd(b64([]byte(s.opt.Pass)))
			}
		}
	default:
		return s.quit(Temporary, "Connected to ", " but it offers no AUTH mechanism I know (PLAIN, LOGIN) (#4.7.0)", nil), false
	}
	if err != nil {
		return s.dropped(), false
	}
	if r.Code != 235 {
		return s.quit(Temporary, "Connected to ", " but authentication was rejected", &r), false
	}
	return Outcome{}, true
}

// transaction sends the envelope and the message.
func (s *session) transaction(env Envelope, msg *Message) Outcome {
	mail := "MAIL FROM:<" + env.Sender + ">"
	if s.ext.Has("SIZE") {
		mail += " SIZE=" + strconv.FormatInt(msg.SMTPSize(), 10)
	}
	if msg.EightBit && s.ext.Has("8BITMIME") {
		mail += " BODY=8BITMIME"
	}
	if s.utf8 {
		mail += " SMTPUTF8"
	}
	rcpts := make([]string, len(env.Recips))
	for i, rc := range env.Recips {
		rcpts[i] = "RCPT TO:<" + rc + ">"
	}
	pipelining := s.ext.Has("PIPELINING")
	if pipelining {
		// RFC 2920: the envelope goes in one group; the replies come in order.
		if err := s.send(append([]string{mail}, rcpts...)...); err != nil {
			return s.dropped()
		}
	} else if err := s.send(mail); err != nil {
		return s.dropped()
	}
	r, err := s.read()
	if err != nil {
		return s.dropped()
	}
	if r.Class() == 5 {
		return s.quit(Permanent, "Connected to ", " but sender was rejected", &r)
	}
	if r.Class() != 2 {
		return s.quit(Temporary, "Connected to ", " but sender was rejected", &r)
	}
	any := false
	for _, rc := range rcpts {
		if !pipelining {
			if err := s.send(rc); err != nil {
				return s.dropped()
			}
		}
		r, err := s.read()
		if err != nil {
			return s.dropped()
		}
		switch r.Class() {
		case 5:
			s.rep.Recipient(Refused, s.ip+" does not like recipient.\n"+remoteSaid(r))
		case 2:
			s.rep.Recipient(Accepted, "")
			any = true
		default:
			s.rep.Recipient(Deferred, s.ip+" does not like recipient.\n"+remoteSaid(r))
		}
	}
	if !any {
		return s.quit(Permanent, "Giving up on ", "", nil)
	}
	if s.ext.Has("CHUNKING") {
		return s.bdat(msg)
	}
	r, err = s.cmd("DATA")
	if err != nil {
		return s.dropped()
	}
	if r.Class() == 5 {
		return s.quit(Permanent, "", " failed on DATA command", &r)
	}
	if r.Code != 354 {
		return s.quit(Temporary, "", " failed on DATA command", &r)
	}
	body, err := msg.Reader()
	if err != nil {
		return outRead
	}
	if _, err := WriteData(s.bw, body); err != nil {
		var re readError
		if errors.As(err, &re) {
			return outRead
		}
		return s.dropped()
	}
	return s.verdict()
}

// bdat sends the message as one chunk, "BDAT n LAST" (RFC 3030 2), to a
// server that offers CHUNKING: no dot-stuffing and no end marker, every
// line end CR LF as in DATA, and n known before a byte is sent
// (Message.SMTPSize). Were the message to give more or fewer bytes than
// that, the dialogue would be out of step: the connection is dropped
// instead of the rest being read as commands.
func (s *session) bdat(msg *Message) Outcome {
	body, err := msg.Reader()
	if err != nil {
		return outRead
	}
	n := msg.SMTPSize()
	s.bw.WriteString("BDAT " + strconv.FormatInt(n, 10) + " LAST\r\n")
	cw := &chunkWriter{w: s.bw, left: n}
	cb := bufio.NewWriterSize(cw, 16<<10)
	if _, _, err := copyLines(cb, body, "\r\n", false); err != nil {
		var re readError
		if errors.As(err, &re) {
			s.conn.Close()
			return outRead
		}
		return s.dropped()
	}
	if err := cb.Flush(); err != nil || cw.left != 0 {
		s.conn.Close()
		return s.dropped()
	}
	if err := s.bw.Flush(); err != nil {
		return s.dropped()
	}
	return s.verdict()
}

// chunkWriter passes at most left bytes: a BDAT chunk's count.
type chunkWriter struct {
	w    *bufio.Writer
	left int64
}

var errChunkOverrun = errors.New("message longer than its BDAT count")

func (c *chunkWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		return 0, errChunkOverrun
	}
	c.left -= int64(len(p))
	return c.w.Write(p)
}

// verdict reads the server's answer to the message, DATA's final dot or
// BDAT's LAST chunk.
func (s *session) verdict() Outcome {
	s.critical = true
	r, err := s.read()
	if err != nil {
		return s.dropped()
	}
	s.critical = false
	switch r.Class() {
	case 5:
		return s.quit(Permanent, "", " failed after I sent the message", &r)
	case 2:
		if s.tls {
			return s.quit(Delivered, "", " accepted message over TLS", &r)
		}
		return s.quit(Delivered, "", " accepted message", &r)
	}
	return s.quit(Temporary, "", " failed after I sent the message", &r)
}
