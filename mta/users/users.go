// Package users finds who receives mail for a local address, as
// qmail-lspawn does before it runs qmail-local: first the compiled
// assignment table users/cdb (qmail-users(5), built by qmail-newu(8) from
// users/assign), then the password file the way qmail-getpw(8) searches it.
//
// users/cdb lookup (qmail-users(5)):
//   - an exact "=local" entry for the whole local part, compared without
//     regard to case;
//   - otherwise the "+prefix" wildcard entries, longest matching prefix
//     first; the rest of the local part after the prefix is appended to the
//     entry's extension;
//   - otherwise the password file.
//
// Password-file lookup (qmail-getpw(8)): the longest prefix of the local
// part that ends where the local part ends or at a '-' is lowercased and
// looked up as an account name; the account counts only if its uid is not 0
// and it owns its home directory. What follows the '-' is the extension and
// the dash is "-". If no account takes the address, the catch-all user
// "alias" receives it with dash "-" and the whole local part as extension.
package users

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/mta/internal/tempfail"
)

// Assignment is where mail for one local part is delivered: qmail-local's
// user, homedir, dash and ext arguments, and the ids it runs under.
type Assignment struct {
	User     string
	UID, GID int
	Home     string
	Dash     string
	Ext      string
}

// Defaults of a qmail installation (qmail's conf-users and conf-break).
const (
	DefaultPasswd = "/etc/passwd"
	AliasUser     = "alias"
	Break         = '-'
	// maxUserLen is qmail-getpw's GETPW_USERLEN: longer candidate names
	// are not looked up.
	maxUserLen = 32
)

// HomeError is a home directory that could not be examined for a reason
// that may pass (qmail-getpw's "NFS failure").
type HomeError struct {
	Home string
	Err  error
}

func (e *HomeError) Error() string { return fmt.Sprintf("unable to stat %s: %v", e.Home, e.Err) }
func (e *HomeError) Unwrap() error { return e.Err }

// Finder holds where the tables are. The zero value is not useful; use
// NewFinder or fill every field.
type Finder struct {
	CDB       string // users/cdb; missing means "no assignments"
	Passwd    string // the password file, /etc/passwd
	AliasUser string // the catch-all account, "alias"
}

// NewFinder returns the finder qmail-lspawn uses for the qmail home.
func NewFinder(qmailhome string) Finder {
	return Finder{
		CDB:       filepath.Join(qmailhome, "users", "cdb"),
		Passwd:    DefaultPasswd,
		AliasUser: AliasUser,
	}
}

// Lookup finds the assignment for local under the qmail home: users/cdb
// first, then /etc/passwd, then the alias user. found is false when nobody
// takes the address (not even the alias user). An error means the answer
// is unknown for now (an unreadable or corrupt users/cdb, an unreadable
// password file, a home directory that cannot be examined): a temporary
// failure.
func Lookup(home string, local string) (Assignment, bool, error) {
	return NewFinder(home).Lookup(local)
}

// Lookup is the package-level Lookup with the finder's tables.
func (f Finder) Lookup(local string) (Assignment, bool, error) {
	a, ok, err := lookupCDB(f.CDB, local)
	if err != nil || ok {
		return a, ok, err
	}
	return f.GetPW(local)
}

// GetPW is qmail-getpw(8): the password-file half of Lookup.
func (f Finder) GetPW(local string) (Assignment, bool, error) {
	pw, err := readPasswd(f.Passwd)
	if err != nil {
		return Assignment{}, false, err
	}
	a, ok, err := userExt(pw, local)
	if err != nil || ok {
		return a, ok, err
	}
	e, ok := pw.byName(f.AliasUser)
	if !ok {
		return Assignment{}, false, nil
	}
	return Assignment{User: e.Name, UID: e.UID, GID: e.GID, Home: e.Home, Dash: "-", Ext: local}, true, nil
}

// userExt tries the prefixes of local from the longest down, as
// qmail-getpw's userext does.
func userExt(pw passwd, local string) (Assignment, bool, error) {
	for end := len(local); end >= 0; end-- {
		if end < len(local) && local[end] != Break {
			continue
		}
		if end >= maxUserLen {
			continue
		}
		name := lowerASCII(local[:end])
		e, ok := pw.byName(name)
		if !ok || e.UID == 0 {
			continue
		}
		st, err := os.Stat(e.Home)
		if err != nil {
			if tempfail.Temporary(err) {
				return Assignment{}, false, &HomeError{e.Home, err}
			}
			continue
		}
		if owner(st) != e.UID {
			continue
		}
		a := Assignment{User: e.Name, UID: e.UID, GID: e.GID, Home: e.Home}
		if end < len(local) {
			a.Dash = "-"
			a.Ext = local[end+1:]
		}
		return a, true, nil
	}
	return Assignment{}, false, nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
