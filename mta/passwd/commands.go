package passwd

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// System account files; CHECKPASSWORD_PASSWD and CHECKPASSWORD_SHADOW
// replace them for tests, except in a set-uid or set-gid process.
const (
	DefaultPasswd = "/etc/passwd"
	DefaultShadow = "/etc/shadow"
)

func privileged() bool {
	return os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid()
}

func fileFromEnv(inv *cli.Invocation, name, def string) string {
	if privileged() {
		return def
	}
	if v, ok := inv.Getenv(name); ok && v != "" {
		return v
	}
	return def
}

// Checkpassword is checkpassword(8) for system users: descriptor 3 holds
// user, password and timestamp; a good password for an account whose hash
// is "$y$", "$7$", "$1$", "$5$" or "$6$" runs the subprogram as that user
// in its home.
//
// It can check passwords only: a CRAM-MD5 response from qmail-smtpd
// would need the password itself, which the system's files do not hold,
// so it is answered ExitCannotCheck, not taken for a wrong password.
//
// Exit status: the subprogram's; 1 bad login; 2 misuse, or a login it
// cannot check; 111 temporary.
func Checkpassword(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		inv.Usage("prog [arg ...]")
		return ExitMisuse
	}
	in, code := readFD3(inv)
	if code != 0 {
		return code
	}
	if in.LooksLikeCRAM() {
		return ExitCannotCheck
	}
	u, err := LookupSystem(fileFromEnv(inv, "CHECKPASSWORD_PASSWD", DefaultPasswd),
		fileFromEnv(inv, "CHECKPASSWORD_SHADOW", DefaultShadow), string(in.User))
	if errors.Is(err, ErrNoUser) {
		// Take as long as for a real account, so that the answer's
		// timing does not tell which names exist.
		CheckCrypt(in.Secret, decoyHash)
		return ExitBad
	}
	if err != nil {
		return inv.Fatal(ExitTemporary, "%v", err)
	}
	ok, err := CheckCrypt(in.Secret, u.Hash)
	if err != nil && !errors.Is(err, ErrLocked) {
		inv.Warn("unable to check the password of %s: %v", u.Name, err)
	}
	if !ok || u.Expired(time.Now()) {
		return ExitBad
	}
	return enter(inv, Account{Name: u.Name, UID: u.UID, GID: u.GID, Home: u.Home, Shell: u.Shell}, inv.Args[1:], true)
}

// decoyHash is checked against for unknown users: a yescrypt hash at
// libxcrypt's default cost (made with mkpasswd -m yescrypt), the cost of
// a real entry on Debian 12, whose passwd(1) writes these.
const decoyHash = "$y$j9T$CHdURgmZFErXubOJ2SPJD1$a/kSats988tgJtPp/uU8cEYbrBCGMRjqAWgS7T7x2x2"

// vpasswdCDB is the virtual-user table of the qmail home.
func vpasswdCDB(inv *cli.Invocation) string {
	return filepath.Join(qmailhome.Dir(inv.Getenv), VPasswdCDB)
}

// Checkvpw checks a virtual user from users/vpasswd.cdb: USER/PASS,
// APOP (clear passwords only) and, when qmail-smtpd hands it a CRAM-MD5
// triple, CRAM-MD5. On success it runs the subprogram as the entry's
// account with the entry's home as working directory and $HOME.
func Checkvpw(inv *cli.Invocation) int {
	return virtual(inv, false)
}

// Cmd5checkpw checks CRAM-MD5 (user, challenge, digest) and, as the
// original cmd5checkpw does for PLAIN and LOGIN, a clear password
// (user, password, empty) against users/vpasswd.cdb, and runs the
// subprogram without changing user or directory: it answers qmail-smtpd's
// SMTP AUTH, whose subprogram is "true".
func Cmd5checkpw(inv *cli.Invocation) int {
	return virtual(inv, true)
}

// virtual is checkvpw, and cmd5checkpw when smtpOnly (no APOP, no change
// of user or directory).
func virtual(inv *cli.Invocation, smtpOnly bool) int {
	if len(inv.Args) < 2 {
		inv.Usage("prog [arg ...]")
		return ExitMisuse
	}
	in, code := readFD3(inv)
	if code != 0 {
		return code
	}
	u, err := LookupVUser(vpasswdCDB(inv), string(in.User))
	if errors.Is(err, ErrNoUser) {
		return ExitBad
	}
	if err != nil {
		return inv.Fatal(ExitTemporary, "%v", err)
	}
	var ok bool
	switch {
	case in.LooksLikeCRAM():
		if !u.Secret.CanCRAM() {
			// A crypt hash cannot answer a challenge: the user has to
			// use PLAIN or LOGIN, which is not a wrong password.
			return ExitCannotCheck
		}
		ok = u.Secret.CheckCRAM(in.Secret, in.Extra)
	case smtpOnly:
		ok = u.Secret.CheckPassword(in.Secret)
	default:
		// As vchkpw does, a secret that is not the password may be an
		// APOP digest over the timestamp.
		ok = u.Secret.CheckPassword(in.Secret) || u.Secret.CheckAPOP(in.Extra, in.Secret)
	}
	if !ok {
		return ExitBad
	}
	if smtpOnly {
		return enter(inv, Account{Name: u.Name, UID: -1}, inv.Args[1:], false)
	}
	// In a single-user instance the mail of every virtual user belongs
	// to the invoking user, root included.
	single := qmailhome.SingleUser(qmailhome.Dir(inv.Getenv))
	return enter(inv, Account{Name: u.Name, UID: u.UID, GID: u.GID, Home: u.Home, Stay: single}, inv.Args[1:], true)
}

// QmailNewvpw compiles users/vpasswd into users/vpasswd.cdb, with the
// text file's permissions (it holds secrets). Every failure is
// temporary (111), as for qmail-newu. With -c it compiles nothing and
// instead prints, for each password read on standard input (one a line),
// its {CRAM-MD5} secret for the file.
func QmailNewvpw(inv *cli.Invocation) int {
	if len(inv.Args) == 2 && inv.Args[1] == "-c" {
		return cramSecrets(inv)
	}
	if len(inv.Args) > 1 {
		return inv.Usage("[-c]")
	}
	home := qmailhome.Dir(inv.Getenv)
	src := filepath.Join(home, VPasswdFile)
	f, err := os.Open(src)
	if err != nil {
		return inv.Fatal(ExitTemporary, "unable to read %s: %v", VPasswdFile, err)
	}
	st, err := f.Stat()
	var b []byte
	if err == nil {
		b, err = io.ReadAll(f)
	}
	f.Close()
	if err != nil {
		return inv.Fatal(ExitTemporary, "unable to read %s: %v", VPasswdFile, err)
	}
	users, err := ParseVPasswd(b)
	if err != nil {
		return inv.Fatal(ExitTemporary, "unable to parse %s: %v", VPasswdFile, err)
	}
	if err := WriteVPasswdCDB(filepath.Join(home, VPasswdCDB), users, st.Mode().Perm()); err != nil {
		return inv.Fatal(ExitTemporary, "unable to make %s: %v", VPasswdCDB, err)
	}
	return 0
}

func cramSecrets(inv *cli.Invocation) int {
	b, err := io.ReadAll(inv.Stdin)
	if err != nil {
		return inv.Fatal(ExitTemporary, "unable to read standard input: %v", err)
	}
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" && len(b) == 0 {
			break
		}
		out.WriteString(CramMD5Secret([]byte(strings.TrimSuffix(line, "\r"))).String() + "\n")
	}
	if _, err := io.WriteString(inv.Stdout, out.String()); err != nil {
		return inv.Fatal(ExitTemporary, "unable to write output: %v", err)
	}
	return 0
}
