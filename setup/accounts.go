package setup

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// qmail's groups and users (qmail's INSTALL.ids): the daemons that face
// the network or write logs are in nofiles, the queue owners in qmail.
var (
	qmailGroups = []string{"nofiles", "qmail"}
	qmailUsers  = []struct{ name, group, home string }{
		{"alias", "nofiles", "alias"},
		{"qmaild", "nofiles", ""},
		{"qmaill", "nofiles", ""},
		{"qmailp", "nofiles", ""},
		{"qmailq", "qmail", ""},
		{"qmailr", "qmail", ""},
		{"qmails", "qmail", ""},
	}
)

// ids are the numeric ids of qmail's users and groups.
type ids struct {
	uid map[string]int
	gid map[string]int
}

func (d ids) user(name, group string) owner { return owner{d.uid[name], d.gid[group]} }

// colonFile reads the first and third fields of /etc/passwd or /etc/group.
func colonFile(path string) (map[string]int, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		if n, err := strconv.Atoi(f[2]); err == nil {
			out[f[0]] = n
		}
	}
	return out, nil
}

func (in *installer) readIDs() (ids, error) {
	u, err := colonFile(in.cfg.path("etc/passwd"))
	if err != nil {
		return ids{}, err
	}
	g, err := colonFile(in.cfg.path("etc/group"))
	if err != nil {
		return ids{}, err
	}
	return ids{u, g}, nil
}

// accounts makes qmail's groups and users that are missing: with groupadd
// and useradd on the live system when they exist, otherwise (and always
// under a root prefix) by appending to the account files under the
// shadow suite's lock.
func (in *installer) accounts() (ids, error) {
	have, err := in.readIDs()
	if err != nil {
		return ids{}, err
	}
	shell := "/usr/sbin/nologin"
	if !exists(in.cfg.path(shell)) {
		shell = "/bin/false"
	}
	tools := in.cfg.Root == ""
	if tools {
		for _, t := range []string{"useradd", "groupadd"} {
			if _, err := exec.LookPath(t); err != nil {
				if _, err := os.Stat("/usr/sbin/" + t); err != nil {
					tools = false
				}
			}
		}
	}
	for _, g := range qmailGroups {
		if _, ok := have.gid[g]; ok {
			continue
		}
		if tools {
			err = run("groupadd", "--system", g)
		} else {
			err = in.appendAccount(false, g, "", "", shell)
		}
		if err != nil {
			return ids{}, fmt.Errorf("unable to add group %s: %w", g, err)
		}
		in.changes++
		in.say("added group %s", g)
		if have, err = in.readIDs(); err != nil {
			return ids{}, err
		}
	}
	for _, u := range qmailUsers {
		if _, ok := have.uid[u.name]; ok {
			continue
		}
		home := in.cfg.Home
		if u.home != "" {
			home += "/" + u.home
		}
		if tools {
			err = run("useradd", "--system", "-g", u.group, "-d", home, "-M", "-s", shell, u.name)
		} else {
			err = in.appendAccount(true, u.name, u.group, home, shell)
		}
		if err != nil {
			return ids{}, fmt.Errorf("unable to add user %s: %w", u.name, err)
		}
		in.changes++
		in.say("added user %s", u.name)
		if have, err = in.readIDs(); err != nil {
			return ids{}, err
		}
	}
	return have, nil
}

func run(prog string, args ...string) error {
	path, err := exec.LookPath(prog)
	if err != nil {
		path = "/usr/sbin/" + prog
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", prog, err, bytes.TrimSpace(out))
	}
	return nil
}

// systemRange is the id range login.defs gives system accounts.
func (in *installer) systemRange(user bool) (lo, hi int) {
	lo, hi = 100, 999
	keyLo, keyHi := "SYS_GID_MIN", "SYS_GID_MAX"
	if user {
		keyLo, keyHi = "SYS_UID_MIN", "SYS_UID_MAX"
	}
	f, err := os.Open(in.cfg.path("etc/login.defs"))
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) != 2 {
			continue
		}
		n, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		switch fields[0] {
		case keyLo:
			lo = n
		case keyHi:
			hi = n
		}
	}
	return
}

// appendAccount adds a user (or group) line the way useradd does without
// running it: under the lock of /etc/.pwd.lock (lckpwdf), with the
// highest free id of the system range, each file rewritten whole into a
// temporary file and renamed, keeping its mode and owner.
func (in *installer) appendAccount(user bool, name, group, home, shell string) error {
	if err := os.MkdirAll(in.cfg.path("etc"), 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(in.cfg.path("etc/.pwd.lock"), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	fl := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(lock.Fd(), syscall.F_SETLKW, &fl); err != nil {
		return fmt.Errorf("unable to lock /etc/.pwd.lock: %w", err)
	}
	have, err := in.readIDs()
	if err != nil {
		return err
	}
	used := have.gid
	if user {
		used = have.uid
	}
	taken := map[int]bool{}
	for _, n := range used {
		taken[n] = true
	}
	lo, hi := in.systemRange(user)
	id := -1
	for n := hi; n >= lo; n-- {
		if !taken[n] {
			id = n
			break
		}
	}
	if id < 0 {
		return fmt.Errorf("no free id in %d-%d", lo, hi)
	}
	days := time.Now().Unix() / 86400
	if !user {
		if err := appendLine(in.cfg.path("etc/group"), fmt.Sprintf("%s:x:%d:", name, id), true); err != nil {
			return err
		}
		return appendLine(in.cfg.path("etc/gshadow"), name+":!::", false)
	}
	gid, ok := have.gid[group]
	if !ok {
		return fmt.Errorf("no group %s", group)
	}
	if err := appendLine(in.cfg.path("etc/passwd"), fmt.Sprintf("%s:x:%d:%d:qmail %s:%s:%s", name, id, gid, name, home, shell), true); err != nil {
		return err
	}
	return appendLine(in.cfg.path("etc/shadow"), fmt.Sprintf("%s:!:%d::::::", name, days), false)
}

// appendLine adds line to the file at path, which is created only when
// create is set (shadow files are left alone where the system has none).
func appendLine(path, line string, create bool) error {
	old, err := os.ReadFile(path)
	mode, uid, gid := os.FileMode(0o644), -1, -1
	if fi, serr := os.Stat(path); serr == nil {
		mode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	if os.IsNotExist(err) {
		if !create {
			return nil
		}
	} else if err != nil {
		return err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	tmp := path + "+"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(append(old, line+"\n"...))
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil && uid >= 0 {
		err = f.Chown(uid, gid)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
