package passwd

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// VUser is one virtual user: a line of users/vpasswd,
//
//	name:secret:uid:gid:home
//
// name is what the client logs in with (any case; compared in lower
// case), secret a password field ({PLAIN}, {CRAM-MD5} or a crypt hash; it
// may itself contain ':'), uid and gid the account the mail belongs to
// (both empty: whoever runs the checker, which must then not be root),
// and home the absolute directory the subprogram starts in, which holds
// the Maildir. Blank lines and lines starting with '#' are ignored.
type VUser struct {
	Name   string
	Secret Secret
	UID    int // -1 when empty
	GID    int // -1 when empty
	Home   string
}

// LineError locates a problem in users/vpasswd.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ParseVPasswd parses the whole file; any bad line fails it, so that a
// typo never silently drops a user (or lets one in).
func ParseVPasswd(b []byte) ([]VUser, error) {
	var out []VUser
	seen := map[string]int{}
	for i, line := range bytes.Split(b, []byte("\n")) {
		n := i + 1
		s := strings.TrimSuffix(string(line), "\r")
		if strings.TrimSpace(s) == "" || s[0] == '#' {
			continue
		}
		u, err := ParseVPasswdLine(s)
		if err != nil {
			return nil, &LineError{n, err.Error()}
		}
		if prev, dup := seen[u.Name]; dup {
			return nil, &LineError{n, fmt.Sprintf("%s already defined on line %d", u.Name, prev)}
		}
		seen[u.Name] = n
		out = append(out, u)
	}
	return out, nil
}

// ParseVPasswdLine parses one entry.
func ParseVPasswdLine(s string) (VUser, error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok {
		return VUser{}, fmt.Errorf("no ':' after the name")
	}
	if name == "" || strings.ContainsAny(name, " \t\x00") {
		return VUser{}, fmt.Errorf("bad name %q", name)
	}
	// The last three fields are taken from the right, so the secret may
	// contain ':' but the home directory may not.
	f := strings.Split(rest, ":")
	if len(f) < 4 {
		return VUser{}, fmt.Errorf("want name:secret:uid:gid:home")
	}
	home := f[len(f)-1]
	gidS, uidS := f[len(f)-2], f[len(f)-3]
	secretS := strings.Join(f[:len(f)-3], ":")
	sec, err := ParseSecret(secretS)
	if err != nil {
		return VUser{}, err
	}
	u := VUser{Name: strings.ToLower(name), Secret: sec, UID: -1, GID: -1, Home: home}
	if (uidS == "") != (gidS == "") {
		return VUser{}, fmt.Errorf("uid and gid must both be given or both be empty")
	}
	if uidS != "" {
		uid, err1 := strconv.ParseUint(uidS, 10, 31)
		gid, err2 := strconv.ParseUint(gidS, 10, 31)
		if err1 != nil || err2 != nil {
			return VUser{}, fmt.Errorf("bad uid or gid")
		}
		u.UID, u.GID = int(uid), int(gid)
	}
	if !filepath.IsAbs(home) || strings.ContainsRune(home, 0) {
		return VUser{}, fmt.Errorf("home %q is not an absolute path", home)
	}
	return u, nil
}

// encode is the cdb record's data: secret, uid, gid, home, each ended by
// a NUL (an empty uid or gid stays empty).
func (u VUser) encode() []byte {
	id := func(n int) string {
		if n < 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	return []byte(u.Secret.String() + "\x00" + id(u.UID) + "\x00" + id(u.GID) + "\x00" + u.Home + "\x00")
}

// decodeVUser reverses encode.
func decodeVUser(name string, b []byte) (VUser, error) {
	f := bytes.Split(b, []byte{0})
	if len(f) != 5 || len(f[4]) != 0 {
		return VUser{}, fmt.Errorf("malformed record for %s", name)
	}
	line := name + ":" + string(f[0]) + ":" + string(f[1]) + ":" + string(f[2]) + ":" + string(f[3])
	u, err := ParseVPasswdLine(line)
	if err != nil {
		return VUser{}, fmt.Errorf("malformed record for %s: %w", name, err)
	}
	return u, nil
}
