package checkpw

import (
	"github.com/quail-mta/quail/internal/ownprog"
	"github.com/quail-mta/quail/internal/pathexec"
)

// ExitCannotCheck is the exit code by which a checkpassword program says
// that it cannot check the login it was given, as opposed to 1, a wrong
// password: the interface's "misused" (2). quail's checkers give it for a
// CRAM-MD5 response they have no password to compare with (checkpassword
// always, checkvpw and cmd5checkpw for an entry holding a crypt hash);
// qmail-smtpd then answers that the mechanism is not available for the
// user instead of counting a failed login.
const ExitCannotCheck = 2

// Mechanisms is a set of SMTP AUTH mechanisms, by the form of the login
// a checkpassword program is handed on descriptor 3.
type Mechanisms uint8

// The mechanisms.
const (
	Password Mechanisms = 1 << iota // PLAIN and LOGIN: user, password, ""
	CRAMMD5                         // CRAM-MD5 (RFC 2195): user, challenge, digest
)

// Has reports whether every mechanism of o is in m.
func (m Mechanisms) Has(o Mechanisms) bool { return m&o == o }

// quail's own checkpassword programs and what each can check. They are
// recognised by the Go build information of the file that would run
// (internal/ownprog), not by its name: a script called cmd5checkpw, or
// the C program of that name, is not known to check anything in
// particular.
var own = []struct {
	c    *ownprog.Checker
	mech Mechanisms
}{
	{ownprog.For("checkpassword"), Password},
	{ownprog.For("checkvpw"), Password | CRAMMD5},
	{ownprog.For("cmd5checkpw"), Password | CRAMMD5},
}

// Capabilities says what the program argv[0], found through env's $PATH
// as it will be run, can check: for one of quail's own checkers its set
// and true; for any other program 0 and false, since the checkpassword
// interface has no way to ask.
func Capabilities(argv, env []string) (Mechanisms, bool) {
	if len(argv) == 0 {
		return 0, false
	}
	path, err := pathexec.Lookup(argv[0], env)
	if err != nil {
		return 0, false
	}
	for _, o := range own {
		if o.c.Is(path) {
			return o.mech, true
		}
	}
	return 0, false
}
