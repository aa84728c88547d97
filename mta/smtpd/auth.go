package smtpd

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/checkpw"
)

// AuthMode is how SMTP AUTH (RFC 4954) is offered, from $SMTPAUTH in
// s/qmail's forms (qmail-smtpd(8) of s/qmail: "!" first makes AUTH
// required, then "+cram" adds CRAM-MD5 to LOGIN and PLAIN, "cram" offers
// CRAM-MD5 alone), with quail's defaults where s/qmail has none:
//
//	unset         what the checkpassword program can check, once TLS is
//	              active (s/qmail: no AUTH)
//	"+"           the same, also without TLS ("!+": and required)
//	"" or "!"     LOGIN and PLAIN ("!": required before MAIL)
//	"cram"        CRAM-MD5 only ("!cram": required)
//	"+cram"       LOGIN, PLAIN and CRAM-MD5 ("!+cram": required)
//	"-"           never offered
//
// Of the mechanisms a form names, only those the program can check are
// offered (checkpw.Capabilities). Any other value is taken as "" with a
// warning, as s/qmail takes it as LOGIN and PLAIN.
type AuthMode struct {
	Off, Required, BeforeTLS bool
	// Mechanisms the form names; 0 for unset and "+": the program's.
	Mechanisms checkpw.Mechanisms
}

func authModeFromEnv(env Lookup, warn func(string, ...any)) AuthMode {
	v, ok := env("SMTPAUTH")
	if !ok {
		return AuthMode{}
	}
	if v == "-" {
		return AuthMode{Off: true}
	}
	var m AuthMode
	rest := v
	if r, ok := strings.CutPrefix(rest, "!"); ok {
		m.Required, rest = true, r
	}
	switch lower := strings.ToLower(rest); {
	case lower == "+":
		m.BeforeTLS = true
	case strings.HasPrefix(lower, "+cram"):
		m.Mechanisms = checkpw.Password | checkpw.CRAMMD5
		rest = rest[len("+cram"):]
	case strings.HasPrefix(lower, "cram"):
		m.Mechanisms = checkpw.CRAMMD5
		rest = rest[len("cram"):]
	default:
		m.Mechanisms = checkpw.Password
	}
	if rest != "" && rest != "+" {
		warn("unknown SMTPAUTH value %q, taken as %q", v, m.form())
	}
	return m
}

// form is the SMTPAUTH value that reads as m.
func (m AuthMode) form() string {
	f := ""
	if m.Required {
		f = "!"
	}
	switch {
	case m.BeforeTLS:
		f += "+"
	case m.Mechanisms == checkpw.CRAMMD5:
		f += "cram"
	case m.Mechanisms.Has(checkpw.CRAMMD5):
		f += "+cram"
	}
	return f
}

// MaxAuthFailures ends a session that keeps guessing.
const MaxAuthFailures = 5

// authMechanisms are the mechanisms offered, in the order of the EHLO
// line.
var authMechanisms = []struct {
	name string
	mech checkpw.Mechanisms
}{{"PLAIN", checkpw.Password}, {"LOGIN", checkpw.Password}, {"CRAM-MD5", checkpw.CRAMMD5}}

// offeredMechanisms is what AUTH accepts at all in this session: what
// $SMTPAUTH names and the checkpassword program can check.
func (c *Config) offeredMechanisms() checkpw.Mechanisms {
	if len(c.CheckPassword) == 0 || c.Auth.Off {
		return 0
	}
	m := c.Auth.Mechanisms
	if c.AuthCapable != 0 {
		if m == 0 {
			m = c.AuthCapable
		}
		m &= c.AuthCapable
	} else if m == 0 {
		// Not one of quail's checkers: the interface is made for
		// passwords, and CRAM-MD5 has to be asked for ("+cram").
		m = checkpw.Password
	}
	return m
}

// authLine is the EHLO keyword's value, "" when nothing is offered.
func (c *Config) authLine() string {
	m := c.offeredMechanisms()
	var names []string
	for _, a := range authMechanisms {
		if m.Has(a.mech) {
			names = append(names, a.name)
		}
	}
	return strings.Join(names, " ")
}

func (s *Session) authOffered() bool {
	if s.cfg.offeredMechanisms() == 0 {
		return false
	}
	return s.tlsActive || s.cfg.Auth.BeforeTLS
}

func (s *Session) cmdAuth(arg string) error {
	if v := s.authCommand(); v.refused() {
		s.answer(v)
		return nil
	}
	mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
	var user, secret, extra []byte
	var err error
	mech = strings.ToUpper(mech)
	offered := false
	for _, a := range authMechanisms {
		offered = offered || a.name == mech && s.cfg.offeredMechanisms().Has(a.mech)
	}
	if !offered {
		mech = "" // not one of those named in EHLO
	}
	switch mech {
	case "PLAIN":
		user, secret, err = s.authPlain(initial)
	case "LOGIN":
		user, secret, err = s.authLogin(initial)
	case "CRAM-MD5":
		user, secret, extra, err = s.authCram()
	default:
		s.answer(mistake(replyAuthType))
		return nil
	}
	if err == nil && (bytes.IndexByte(user, 0) >= 0 || bytes.IndexByte(secret, 0) >= 0) {
		// The checkpassword interface cannot carry a NUL inside a
		// field, and what follows one may be a password: not logged.
		err = errAuthSyntax
	}
	switch err {
	case nil:
	case errBareLF:
		s.refuseBareLF()
		return errQuit
	case errAuthCancelled:
		s.answer(mistake(replyAuthCancelled))
		return nil
	case errAuthSyntax:
		s.answer(mistake(replyAuthMalformed))
		return nil
	default:
		return s.readFailed(err)
	}
	return s.checkLogin(mech, user, secret, extra)
}

// authCommand refuses AUTH where it cannot start.
func (s *Session) authCommand() verdict {
	switch {
	case !s.authOffered() && s.tlsOffered() && s.cfg.offeredMechanisms() != 0:
		return mistake(replyAuthEncryption)
	case !s.authOffered():
		return mistake(replyAuthUnavailable)
	case s.authUser != "":
		return mistake(replyAuthDone)
	case s.haveMail:
		return mistake(replyAuthInMail)
	}
	return verdict{}
}

// checkLogin asks the checkpassword program and answers, unless the
// login throttle refuses the client.
func (s *Session) checkLogin(mech string, user, secret, extra []byte) error {
	if s.throttled(mech, string(user)) {
		return nil
	}
	verdict, code, cerr := checkpw.CheckCode(s.cfg.CheckPassword, s.env, user, secret, extra)
	name := safeLog(string(user))
	switch {
	case verdict == checkpw.Bad && code == checkpw.ExitCannotCheck:
		// The program cannot check this kind of login for this user
		// (CRAM-MD5 against a crypt hash): no password was judged, so
		// no delay and no failed login, but another mechanism may do.
		s.answer(reject(replyAuthCannotCheck, "AUTH", mech).extra("A:" + name + " cannot_check"))
	case verdict == checkpw.Good:
		s.loginSucceeded(string(user))
		s.authUser = string(user)
		s.answer(accept(replyAuthOK, "AUTH", mech).extra("A:" + name))
	case verdict == checkpw.Bad:
		s.authFailures++
		// Each failure waits longer, so guessing is slow: in this
		// session, and across sessions by the throttle's count.
		delay, note := s.loginFailed(string(user))
		s.sleep(max(time.Duration(1<<min(s.authFailures-1, 4))*time.Second, delay))
		s.answer(reject(replyAuthFailed, "AUTH", mech).extra(fmt.Sprintf("A:%s failures:%d%s", name, s.authFailures, note)))
		if s.authFailures >= MaxAuthFailures {
			s.reply(replyAuthTooMany)
			return errQuit
		}
	default:
		reason := "checkpassword"
		if cerr != nil {
			reason = cerr.Error()
		}
		s.answer(deferral(replyAuthTemp, "AUTH", mech).extra("A:" + name + " " + safeLog(reason)))
	}
	return nil
}

var (
	errAuthCancelled = fmt.Errorf("auth cancelled")
	errAuthSyntax    = fmt.Errorf("auth syntax")
	errBareLF        = fmt.Errorf("bare LF")
)

// challenge sends a 334 prompt and reads the client's base64 answer.
func (s *Session) challenge(prompt string) ([]byte, error) {
	s.reply(replyAuthChallenge(base64.StdEncoding.EncodeToString([]byte(prompt))))
	if err := s.out.Flush(); err != nil {
		return nil, err
	}
	line, err := s.readLine()
	if err != nil {
		return nil, err
	}
	if s.badLineEnd {
		return nil, errBareLF
	}
	return decodeAuth(line)
}

func decodeAuth(line string) ([]byte, error) {
	line = strings.TrimSpace(line)
	if line == "*" {
		return nil, errAuthCancelled
	}
	if line == "=" {
		return []byte{}, nil
	}
	b, err := base64.StdEncoding.DecodeString(line)
	if err != nil {
		return nil, errAuthSyntax
	}
	return b, nil
}

// authPlain: RFC 4616, "authzid NUL authcid NUL passwd".
func (s *Session) authPlain(initial string) (user, pass []byte, err error) {
	var resp []byte
	if initial != "" {
		resp, err = decodeAuth(initial)
	} else {
		resp, err = s.challenge("")
	}
	if err != nil {
		return nil, nil, err
	}
	return ParsePlain(resp)
}

// ParsePlain splits a PLAIN response. An authorization identity other
// than the user itself is refused: nobody may act for someone else.
func ParsePlain(resp []byte) (user, pass []byte, err error) {
	parts := bytes.Split(resp, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return nil, nil, errAuthSyntax
	}
	if len(parts[0]) > 0 && !bytes.Equal(parts[0], parts[1]) {
		return nil, nil, errAuthSyntax
	}
	return parts[1], parts[2], nil
}

func (s *Session) authLogin(initial string) (user, pass []byte, err error) {
	if initial != "" {
		user, err = decodeAuth(initial)
	} else {
		user, err = s.challenge("Username:")
	}
	if err != nil {
		return nil, nil, err
	}
	if len(user) == 0 {
		return nil, nil, errAuthSyntax
	}
	pass, err = s.challenge("Password:")
	return user, pass, err
}

// authCram: RFC 2195. cmd5checkpw gets user, challenge, digest.
func (s *Session) authCram() (user, challenge, digest []byte, err error) {
	var r [8]byte
	rand.Read(r[:])
	ch := fmt.Sprintf("<%d.%d@%s>", binary.BigEndian.Uint32(r[:4]), s.now().Unix(), s.cfg.Me)
	resp, err := s.challenge(ch)
	if err != nil {
		return nil, nil, nil, err
	}
	i := bytes.LastIndexByte(resp, ' ')
	if i <= 0 || len(resp)-i-1 != 32 {
		return nil, nil, nil, errAuthSyntax
	}
	return resp[:i], []byte(ch), resp[i+1:], nil
}
