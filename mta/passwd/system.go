package passwd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrNoUser means the name is not in the user database.
var ErrNoUser = errors.New("no such user")

// SystemUser is an /etc/passwd entry with the hash from /etc/shadow
// filled in when the passwd file defers to it.
type SystemUser struct {
	Name  string
	Hash  string
	UID   int
	GID   int
	Home  string
	Shell string
	// Expire is the shadow file's account expiry, in days since
	// 1970-01-01; -1 when unset.
	Expire int64
}

// Expired reports whether the account's expiry day has come.
func (u SystemUser) Expired(now time.Time) bool {
	return u.Expire >= 0 && now.Unix()/86400 >= u.Expire
}

// ParsePasswdLine parses one passwd(5) line, name:passwd:uid:gid:gecos:dir:shell.
// Comment and NIS lines ("+", "-") are not entries.
func ParsePasswdLine(line string) (SystemUser, bool) {
	if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
		return SystemUser{}, false
	}
	f := strings.Split(line, ":")
	if len(f) != 7 || f[0] == "" {
		return SystemUser{}, false
	}
	uid, err1 := strconv.ParseUint(f[2], 10, 31)
	gid, err2 := strconv.ParseUint(f[3], 10, 31)
	if err1 != nil || err2 != nil {
		return SystemUser{}, false
	}
	return SystemUser{Name: f[0], Hash: f[1], UID: int(uid), GID: int(gid), Home: f[5], Shell: f[6], Expire: -1}, true
}

// ShadowEntry is the part of a shadow(5) line that matters for a login.
type ShadowEntry struct {
	Name   string
	Hash   string
	Expire int64 // days since the epoch; -1 when empty
}

// ParseShadowLine parses name:hash:lastchg:min:max:warn:inactive:expire:reserved.
// Lines with only the first two fields are accepted, as getspnam does.
func ParseShadowLine(line string) (ShadowEntry, bool) {
	if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
		return ShadowEntry{}, false
	}
	f := strings.Split(line, ":")
	if len(f) < 2 || len(f) > 9 || f[0] == "" {
		return ShadowEntry{}, false
	}
	e := ShadowEntry{Name: f[0], Hash: f[1], Expire: -1}
	if len(f) > 7 && f[7] != "" {
		n, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			return ShadowEntry{}, false
		}
		e.Expire = n
	}
	return e, true
}

// scanFile calls fn for every line of path until fn returns true.
func scanFile(path string, fn func(line string) bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		if fn(sc.Text()) {
			return nil
		}
	}
	return sc.Err()
}

// LookupSystem finds name in the passwd file and, when its password field
// is "x" (or the shadow file has the name), takes the hash from the shadow
// file. A missing shadow file is an error only when the passwd entry
// defers to it.
func LookupSystem(passwdPath, shadowPath, name string) (SystemUser, error) {
	var u SystemUser
	found := false
	err := scanFile(passwdPath, func(line string) bool {
		e, ok := ParsePasswdLine(line)
		if ok && e.Name == name {
			u, found = e, true
		}
		return found
	})
	if err != nil {
		return u, fmt.Errorf("unable to read %s: %w", passwdPath, err)
	}
	if !found {
		return u, ErrNoUser
	}
	var sh ShadowEntry
	have := false
	err = scanFile(shadowPath, func(line string) bool {
		e, ok := ParseShadowLine(line)
		if ok && e.Name == name {
			sh, have = e, true
		}
		return have
	})
	if err != nil && (u.Hash == "x" || !errors.Is(err, os.ErrNotExist)) {
		return u, fmt.Errorf("unable to read %s: %w", shadowPath, err)
	}
	if have {
		u.Hash, u.Expire = sh.Hash, sh.Expire
	} else if u.Hash == "x" {
		u.Hash = "*" // deferred to a shadow entry that is not there
	}
	return u, nil
}
