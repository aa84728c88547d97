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

// AuthMode is how SMTP AUTH (RFC 4954) is offered, from $SMTPAUTH:
//
//	unset or ""   offered once TLS is active (or when no checkpassword
//	              program is given: not at all)
//	"-"           never offered
//	"!"           required before MAIL (submission)
//	"+"           offered also without TLS ("!+" required, also without TLS)
type AuthMode struct {
	Off, Required, BeforeTLS bool
}

func authModeFromEnv(env Lookup) AuthMode {
	v, _ := env("SMTPAUTH")
	return AuthMode{
		Off:       strings.Contains(v, "-"),
		Required:  strings.Contains(v, "!"),
		BeforeTLS: strings.Contains(v, "+"),
	}
}

// MaxAuthFailures ends a session that keeps guessing.
const MaxAuthFailures = 5

var authMechanisms = "PLAIN LOGIN CRAM-MD5"

func (s *Session) authOffered() bool {
	if len(s.cfg.CheckPassword) == 0 || s.cfg.Auth.Off {
		return false
	}
	return s.tlsActive || s.cfg.Auth.BeforeTLS
}

func (s *Session) cmdAuth(arg string) error {
	switch {
	case !s.authOffered() && s.tlsOffered() && len(s.cfg.CheckPassword) > 0 && !s.cfg.Auth.Off:
		s.fail(538, "5.7.11", "encryption required for requested authentication mechanism (#5.7.11)")
		return nil
	case !s.authOffered():
		s.fail(503, "5.5.1", "auth not available (#5.5.1)")
		return nil
	case s.authUser != "":
		s.fail(503, "5.5.1", "you are already authenticated (#5.5.1)")
		return nil
	case s.haveMail:
		s.fail(503, "5.5.1", "no auth during mail transaction (#5.5.1)")
		return nil
	}
	mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
	var user, secret, extra []byte
	var err error
	switch strings.ToUpper(mech) {
	case "PLAIN":
		user, secret, err = s.authPlain(initial)
	case "LOGIN":
		user, secret, err = s.authLogin(initial)
	case "CRAM-MD5":
		user, secret, extra, err = s.authCram()
	default:
		s.fail(504, "5.5.4", "unrecognized authentication type (#5.5.4)")
		return nil
	}
	if err == nil && (bytes.IndexByte(user, 0) >= 0 || bytes.IndexByte(secret, 0) >= 0) {
		// The checkpassword interface cannot carry a NUL inside a
		// field, and what follows one may be a password: not logged.
		err = errAuthSyntax
	}
	if err != nil {
		if err == errBareLF {
			s.refuseBareLF()
			return errQuit
		}
		if err == errAuthCancelled {
			s.fail(501, "5.0.0", "auth exchange cancelled (#5.0.0)")
			return nil
		}
		if err == errAuthSyntax {
			s.fail(501, "5.5.2", "malformed auth input (#5.5.2)")
			return nil
		}
		return s.readFailed(err)
	}
	verdict, cerr := checkpw.Check(s.cfg.CheckPassword, s.env, user, secret, extra, nil, nil, nil)
	name := safeLog(string(user))
	switch verdict {
	case checkpw.Good:
		s.authUser = string(user)
		s.reply(235, "2.7.0", "ok, go ahead (#2.0.0)")
		s.logf("Accept", "AUTH", strings.ToUpper(mech), "", "A:"+name)
	case checkpw.Bad:
		s.authFailures++
		s.errors++
		// Each failure waits longer, so guessing is slow; the delay is
		// per session and costs a sleeping process, nothing else.
		s.sleep(time.Duration(1<<min(s.authFailures-1, 4)) * time.Second)
		s.reply(535, "5.7.8", "authentication failed (#5.7.1)")
		s.logf("Reject", "AUTH", strings.ToUpper(mech), "", fmt.Sprintf("A:%s failures:%d", name, s.authFailures))
		if s.authFailures >= MaxAuthFailures {
			s.reply(421, "4.7.0", "too many authentication failures (#4.7.0)")
			return errQuit
		}
	default:
		s.reply(454, "4.7.0", "temporary authentication failure (#4.3.0)")
		reason := "checkpassword"
		if cerr != nil {
			reason = cerr.Error()
		}
		s.logf("Defer", "AUTH", strings.ToUpper(mech), "", "A:"+name+" "+safeLog(reason))
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
	s.reply(334, "", base64.StdEncoding.EncodeToString([]byte(prompt)))
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
