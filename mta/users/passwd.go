package users

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// pwEntry is one line of the password file (passwd(5)).
type pwEntry struct {
	Name     string
	UID, GID int
	Home     string
}

// passwd is a password file in file order; getpwnam returns the first
// entry with a name.
type passwd []pwEntry

func (p passwd) byName(name string) (pwEntry, bool) {
	for _, e := range p {
		if e.Name == name {
			return e, true
		}
	}
	return pwEntry{}, false
}

func readPasswd(path string) (passwd, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", path, err)
	}
	return parsePasswd(b), nil
}

// parsePasswd keeps every well-formed line: seven colon-separated fields
// with numeric ids. Malformed lines are skipped, as getpwent skips them.
func parsePasswd(b []byte) passwd {
	var p passwd
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if e, ok := parsePasswdLine(sc.Text()); ok {
			p = append(p, e)
		}
	}
	return p
}

// parsePasswdLine reads "name:password:uid:gid:gecos:home:shell".
func parsePasswdLine(line string) (pwEntry, bool) {
	f := strings.SplitN(line, ":", 7)
	if len(f) != 7 || f[0] == "" {
		return pwEntry{}, false
	}
	uid, err1 := strconv.ParseUint(f[2], 10, 31)
	gid, err2 := strconv.ParseUint(f[3], 10, 31)
	if err1 != nil || err2 != nil {
		return pwEntry{}, false
	}
	return pwEntry{Name: f[0], UID: int(uid), GID: int(gid), Home: f[5]}, true
}
