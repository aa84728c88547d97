package setup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/rtlimit"
	"github.com/quail-mta/quail/mta/passwd"
	"github.com/quail-mta/quail/mta/qmqp"
	"github.com/quail-mta/quail/mta/throttle"
)

// checker collects problems, each with what to do about it.
type checker struct {
	c        *Config
	out      io.Writer
	problems int
	single   bool
	ids      ids
	owner    int  // single-user: the uid that owns the home
	null     bool // a QMQP null client: no services, no queue of its own in use
}

func (k *checker) problem(what, fix string, a ...any) {
	k.problems++
	fmt.Fprintf(k.out, "quail-setup: problem: %s; %s\n", what, fmt.Sprintf(fix, a...))
}

// show is a path without the root prefix.
func (k *checker) show(p string) string {
	in := installer{cfg: k.c}
	return in.show(p)
}

// Check examines the instance described by c without changing anything
// and reports each problem on out. It returns the number of problems; an
// error means the check itself could not be made.
func Check(c *Config, out io.Writer) (int, error) {
	if err := c.validate(); err != nil {
		return 0, err
	}
	k := &checker{c: c, out: out, single: isSingleUser(c)}
	home := c.homePath()
	fi, err := os.Stat(home)
	if err != nil {
		k.problem(fmt.Sprintf("%s: %v", c.Home, err), "run quail-setup to make the qmail home")
		return k.report(), nil
	}
	k.owner = int(fi.Sys().(*syscall.Stat_t).Uid)
	if !k.single {
		in := &installer{cfg: c}
		if k.ids, err = in.readIDs(); err != nil {
			return 0, err
		}
		for _, g := range qmailGroups {
			if _, ok := k.ids.gid[g]; !ok {
				k.problem("group "+g+" does not exist", "run quail-setup as root to add qmail's users and groups")
			}
		}
		for _, u := range qmailUsers {
			if _, ok := k.ids.uid[u.name]; !ok {
				k.problem("user "+u.name+" does not exist", "run quail-setup as root to add qmail's users and groups")
			}
		}
	}
	k.null = c.nullClient()
	k.layout()
	if !k.single {
		k.hashes()
	}
	k.queue()
	k.controls()
	k.tables()
	k.certificate(c.homePath(CertFile), c.homePath(KeyFile))
	if k.null {
		k.nullClient()
	} else {
		k.services()
	}
	return k.report(), nil
}

func (k *checker) report() int {
	if k.problems == 0 {
		fmt.Fprintf(k.out, "quail-setup: no problems found in %s\n", k.c.Home)
	} else {
		fmt.Fprintf(k.out, "quail-setup: %d problems found in %s\n", k.problems, k.c.Home)
	}
	return k.problems
}

// expect compares one file's type, mode and owner with what they must be.
// user and group name qmail's accounts; a single-user instance only
// wants everything to belong to the owner of the home.
func (k *checker) expect(path string, kind fs.FileMode, mode fs.FileMode, user, group string) {
	fi, err := os.Lstat(path)
	if err != nil {
		k.problem(fmt.Sprintf("%s is missing", k.show(path)), "run quail-setup to add it")
		return
	}
	if fi.Mode().Type() != kind {
		want := map[fs.FileMode]string{0: "a regular file", fs.ModeDir: "a directory", fs.ModeNamedPipe: "a FIFO"}[kind]
		k.problem(fmt.Sprintf("%s is not %s", k.show(path), want), "remove it and run quail-setup")
		return
	}
	perm := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if k.single {
		mode &^= fs.ModeSetgid | fs.ModeSetuid
	}
	if perm != mode {
		k.problem(fmt.Sprintf("%s has mode %s, not %s", k.show(path), octal(perm), octal(mode)),
			"chmod %s %s", octal(mode), k.show(path))
	}
	st := fi.Sys().(*syscall.Stat_t)
	if k.single {
		if int(st.Uid) != k.owner {
			k.problem(fmt.Sprintf("%s belongs to uid %d, not to the instance's owner %d", k.show(path), st.Uid, k.owner),
				"chown %d %s", k.owner, k.show(path))
		}
		return
	}
	uid, okU := k.ids.uid[user]
	if user == "root" {
		uid, okU = 0, true
	}
	gid, okG := k.ids.gid[group]
	if group == "root" {
		gid, okG = 0, true
	}
	if okU && okG && (int(st.Uid) != uid || int(st.Gid) != gid) {
		k.problem(fmt.Sprintf("%s belongs to %d:%d, not %s:%s", k.show(path), st.Uid, st.Gid, user, group),
			"chown %s:%s %s", user, group, k.show(path))
	}
}

func octal(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return fmt.Sprintf("%04o", n)
}

// layout checks the home's directories against qmail's hier.c.
func (k *checker) layout() {
	c := k.c
	for _, d := range []string{"", "control", "users", "bin"} {
		k.expect(c.homePath(d), fs.ModeDir, 0o755, "root", "qmail")
	}
	k.expect(c.homePath("alias"), fs.ModeDir, fs.ModeSetgid|0o755, "alias", "qmail")
	if !k.null {
		// Without it failed logins are not counted across sessions.
		k.expect(c.homePath(throttle.Dir), fs.ModeDir, 0o700, "qmaild", "nofiles")
	}
	if k.single || k.null {
		return
	}
	q := c.homePath("bin", "qmail-queue")
	if fi, err := os.Lstat(q); err == nil && fi.Mode().IsRegular() {
		k.expect(q, 0, fs.ModeSetuid|0o711, "qmailq", "qmail")
	} else {
		k.problem(k.show(q)+" is not a set-uid copy", "remove it and run quail-setup, or users other than root cannot queue mail")
	}
	cp := c.homePath("bin", "checkpassword")
	if fi, err := os.Lstat(cp); err == nil && fi.Mode().IsRegular() {
		k.expect(cp, 0, fs.ModeSetuid|0o710, "root", "nofiles")
	}
	for _, p := range []string{q, cp} {
		k.copyCurrent(p)
	}
}

// copyCurrent reports a set-uid copy in the home's bin that differs from
// the installed program: left over from before an upgrade.
func (k *checker) copyCurrent(path string) {
	src := filepath.Join(k.c.BinDir, filepath.Base(path))
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return
	}
	a, err1 := os.ReadFile(path)
	b, err2 := os.ReadFile(src)
	if err1 == nil && err2 == nil && !bytes.Equal(a, b) {
		k.problem(fmt.Sprintf("%s differs from %s", k.show(path), src),
			"remove %s and run quail-setup to copy the installed one", k.show(path))
	}
}

// hashes reports each account whose password hash checkpassword cannot
// check (a scheme it does not know, or a yescrypt beyond its cost
// bounds): the account's POP3 and SMTP AUTH logins would fail without a
// word to the user. Root is left out (checkpassword refuses uid 0), as
// are locked accounts; an unreadable shadow file (not root) is skipped.
func (k *checker) hashes() {
	for _, u := range uncheckable(k.c.path("etc/passwd"), k.c.path("etc/shadow")) {
		k.problem(fmt.Sprintf("/etc/shadow: checkpassword cannot check the password of %s (%v)", u.name, u.err),
			"set it again with passwd or chpasswd (both write yescrypt) or POP3 and SMTP AUTH logins fail for %s", u.name)
	}
}

type badHash struct {
	name string
	err  error
}

// uncheckable lists, in passwd order, the accounts whose hash
// passwd.ParseHash refuses for a reason other than a lock.
func uncheckable(passwdPath, shadowPath string) []badHash {
	pw, err := os.ReadFile(passwdPath)
	if err != nil {
		return nil
	}
	shadow := map[string]string{}
	if sh, err := os.ReadFile(shadowPath); err == nil {
		for _, l := range strings.Split(string(sh), "\n") {
			if e, ok := passwd.ParseShadowLine(l); ok {
				shadow[e.Name] = e.Hash
			}
		}
	} else if !os.IsNotExist(err) {
		return nil
	}
	var out []badHash
	for _, l := range strings.Split(string(pw), "\n") {
		u, ok := passwd.ParsePasswdLine(l)
		if !ok || u.UID == 0 {
			continue
		}
		h, inShadow := shadow[u.Name]
		if !inShadow {
			if u.Hash == "x" {
				continue // no entry: checkpassword takes it as locked
			}
			h = u.Hash
		}
		if _, err := passwd.ParseHash(h); err != nil && !errors.Is(err, passwd.ErrLocked) {
			out = append(out, badHash{u.Name, err})
		}
	}
	return out
}

// queueParts are qmail's queue modes and owners (hier.c).
var queueParts = []struct {
	name  string
	kind  fs.FileMode
	mode  fs.FileMode
	user  string
	split bool
}{
	{"", fs.ModeDir, 0o750, "qmailq", false},
	{"pid", fs.ModeDir, 0o700, "qmailq", false},
	{"intd", fs.ModeDir, 0o700, "qmailq", false},
	{"todo", fs.ModeDir, 0o750, "qmailq", false},
	{"mess", fs.ModeDir, 0o750, "qmailq", true},
	{"info", fs.ModeDir, 0o700, "qmails", true},
	{"local", fs.ModeDir, 0o700, "qmails", true},
	{"remote", fs.ModeDir, 0o700, "qmails", true},
	{"bounce", fs.ModeDir, 0o700, "qmails", false},
	{"lock", fs.ModeDir, 0o750, "qmailq", false},
	{"lock/tcpto", 0, 0o644, "qmailr", false},
	{"lock/mtasts", fs.ModeDir, 0o755, "qmailr", false},
	{"lock/sendmutex", 0, 0o600, "qmails", false},
	{"lock/trigger", fs.ModeNamedPipe, 0o622, "qmails", false},
}

func (k *checker) queue() {
	for _, p := range queueParts {
		path := k.c.homePath("queue", p.name)
		k.expect(path, p.kind, p.mode, p.user, "qmail")
		if !p.split {
			continue
		}
		ents, _ := os.ReadDir(path)
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err == nil {
				k.expect(filepath.Join(path, e.Name()), fs.ModeDir, p.mode, p.user, "qmail")
			}
		}
	}
}

// lines reads a control file's non-empty, non-comment lines.
func lines(path string) ([]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && l[0] != '#' {
			out = append(out, strings.ToLower(l))
		}
	}
	return out, true
}

// virtualDomain is the domain a control/virtualdomains line is about:
// "domain:prefix", ".domain:prefix" (its subdomains) or
// "user@domain:prefix" (one address).
func virtualDomain(line string) string {
	dom, _, _ := strings.Cut(line, ":")
	if i := strings.LastIndexByte(dom, '@'); i >= 0 {
		dom = dom[i+1:]
	}
	return dom
}

// covered says whether rcpthosts-style entries accept domain.
func covered(entries []string, domain string) bool {
	for _, e := range entries {
		if e == domain || strings.HasPrefix(e, ".") && strings.HasSuffix(domain, e) {
			return true
		}
	}
	return false
}

func (k *checker) controls() {
	c := k.c
	ctl := func(n string) string { return c.homePath("control", n) }
	if me, ok := lines(ctl("me")); !ok || len(me) == 0 {
		k.problem("control/me is missing or empty", "write the host's fully qualified name into it (qmail-send, qmail-smtpd and qmail-inject need it)")
	}
	locals, _ := lines(ctl("locals"))
	virt, _ := lines(ctl("virtualdomains"))
	for _, v := range virt {
		dom := virtualDomain(v)
		for _, l := range locals {
			if l == dom {
				k.problem(fmt.Sprintf("%s is in both control/locals and control/virtualdomains", dom),
					"remove it from one of them: locals wins and the virtual domain is never used")
			}
		}
	}
	rcpt, haveRcpt := lines(ctl("rcpthosts"))
	if !haveRcpt {
		k.problem("control/rcpthosts is missing", "without it qmail-smtpd relays for anyone; list the local and virtual domains in it")
	} else if !exists(ctl("morercpthosts.cdb")) {
		for _, l := range locals {
			if !covered(rcpt, l) {
				k.problem(fmt.Sprintf("control/rcpthosts lacks %s from control/locals", l),
					"add it, or qmail-smtpd refuses mail for it")
			}
		}
		for _, v := range virt {
			dom := virtualDomain(v)
			if dom != "" && !covered(rcpt, strings.TrimPrefix(dom, ".")) && !covered(rcpt, dom) {
				k.problem(fmt.Sprintf("control/rcpthosts lacks %s from control/virtualdomains", dom),
					"add it, or qmail-smtpd refuses mail for it")
			}
		}
	}
	ents, _ := os.ReadDir(c.homePath("control"))
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || e.Name() == filepath.Base(KeyFile) {
			continue
		}
		if !k.single && fi.Mode().Perm()&0o004 == 0 {
			k.problem(fmt.Sprintf("control/%s is not readable by everyone", e.Name()),
				"chmod 644 %s: the daemons run as qmail's users", k.show(c.homePath("control", e.Name())))
		}
	}
}

// tables finds compiled tables older than their sources.
func (k *checker) tables() {
	c := k.c
	pairs := [][3]string{
		{c.homePath("users", "assign"), c.homePath("users", "cdb"), "run qmail-newu"},
		{c.homePath(passwd.VPasswdFile), c.homePath(passwd.VPasswdCDB), "run qmail-newvpw"},
	}
	ents, _ := os.ReadDir(c.homePath("tcp"))
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.Contains(e.Name(), ".") {
			p := c.homePath("tcp", e.Name())
			pairs = append(pairs, [3]string{p, p + ".cdb", "run quail-setup -r"})
		}
	}
	for _, p := range pairs {
		if stale(p[0], p[1]) {
			k.problem(fmt.Sprintf("%s is missing or older than %s", k.show(p[1]), k.show(p[0])), "%s", p[2])
		}
	}
}

func (k *checker) certificate(certPath, keyPath string) {
	cert, err1 := os.ReadFile(certPath)
	key, err2 := os.ReadFile(keyPath)
	if os.IsNotExist(err1) && os.IsNotExist(err2) {
		return
	}
	if err1 != nil || err2 != nil {
		k.problem(fmt.Sprintf("unable to read the certificate %s or its key %s", k.show(certPath), k.show(keyPath)),
			"install both, or remove both and run quail-setup for a self-signed one")
		return
	}
	if err := checkCertificate(cert, key, time.Now()); err != nil {
		k.problem(fmt.Sprintf("certificate %s: %v", k.show(certPath), err),
			"install a valid certificate and key, or remove both and run quail-setup for a self-signed one")
	}
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		k.problem(fmt.Sprintf("the key %s is readable by others", k.show(keyPath)), "chmod 600 %s", k.show(keyPath))
	}
}

// services checks every service directory that belongs to this home.
func (k *checker) services() {
	c := k.c
	dir := c.path(c.ServiceDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		k.problem(fmt.Sprintf("unable to read the service directory %s: %v", c.ServiceDir, err), "run quail-setup, or give its place with -s")
		return
	}
	found := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		s := filepath.Join(dir, e.Name())
		home, _ := os.ReadFile(filepath.Join(s, "env", "QMAILHOME"))
		if strings.TrimSpace(string(home)) != c.Home {
			continue
		}
		found++
		for _, script := range []string{"run", "log/run"} {
			p := filepath.Join(s, script)
			if fi, err := os.Stat(p); err != nil || fi.Mode()&0o100 == 0 {
				k.problem(fmt.Sprintf("%s is missing or not executable", k.show(p)),
					"remove %s and run quail-setup to install it again", k.show(s))
			}
			k.limits(p)
		}
		if rules, err := os.ReadFile(filepath.Join(s, "env", "RULES")); err == nil {
			r := strings.TrimSpace(string(rules))
			if r != "" && !exists(c.path(r)) {
				k.problem(fmt.Sprintf("%s: its rules %s are missing", k.show(s), r), "run quail-setup -r")
			}
		}
		if cert, err := os.ReadFile(filepath.Join(s, "env", "CERTFILE")); err == nil {
			key, _ := os.ReadFile(filepath.Join(s, "env", "KEYFILE"))
			cp, kp := strings.TrimSpace(string(cert)), strings.TrimSpace(string(key))
			if cp != filepath.Join(c.Home, CertFile) && cp != "" {
				if kp == "" {
					kp = cp
				}
				k.certificate(c.path(cp), c.path(kp))
			}
		}
	}
	if found == 0 {
		k.problem(fmt.Sprintf("no service in %s runs %s", c.ServiceDir, c.Home), "run quail-setup to install the services")
		return
	}
	for _, s := range services {
		if !exists(filepath.Join(dir, s.name)) && c.missing(s) == "" {
			k.problem(fmt.Sprintf("service %s is not installed though its programs are in %s", s.name, c.BinDir),
				"run quail-setup to install it")
		}
	}
}

// limits reports each softlimit in a run script that is below what
// quail's programs need to start (internal/rtlimit). quail's softlimit
// raises such a limit for them with a warning; Debian's, or a ulimit
// in the script, leaves them unable to start.
func (k *checker) limits(script string) {
	b, err := os.ReadFile(script)
	if err != nil || !rtlimit.Checked {
		return
	}
	envDir := filepath.Join(filepath.Dir(script), "env")
	env := func(name string) (string, bool) {
		v, err := os.ReadFile(filepath.Join(envDir, name))
		if err != nil || strings.ContainsAny(name, "/.") {
			return "", false
		}
		first, _, _ := strings.Cut(string(v), "\n")
		return strings.TrimRight(first, " \t"), true
	}
	for _, l := range lowLimits(string(b), env, rtlimit.Floor()) {
		k.problem(fmt.Sprintf("%s: softlimit %s is below the %d bytes of %s quail's programs need to start", k.show(script), l.option, l.need, l.what),
			"give softlimit -d %d or more (quail's softlimit raises it with a warning, any other leaves the programs unable to start)", rtlimit.Floor().Data)
	}
}

// nullClient checks what makes a null client: bin/qmail-queue is
// qmail-qmqpc, and control/qmqpservers names a server it can use.
func (k *checker) nullClient() {
	c := k.c
	q := c.homePath("bin", "qmail-queue")
	if target, err := os.Readlink(q); err != nil || filepath.Base(target) != "qmail-qmqpc" {
		k.problem(k.show(q)+" is not a link to qmail-qmqpc", "remove it and run quail-setup -n SERVER, or mail is queued here and never sent")
	}
	servers, ok := lines(c.homePath("control", "qmqpservers"))
	usable := 0
	for _, s := range servers {
		if _, ok := qmqp.ParseServer(s); ok {
			usable++
		}
	}
	if !ok || usable == 0 {
		k.problem("control/qmqpservers names no QMQP server", "write the hub's IP address into it, or qmail-qmqpc refuses every message (exit 55)")
	}
}
