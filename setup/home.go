package setup

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/mta/passwd"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/throttle"
	"github.com/quail-mta/quail/mta/users"
)

// owners says who owns each part of the instance.
type owners struct {
	root    owner        // root:qmail, the home, control, users, bin
	alias   owner        // alias:qmail, the alias directory
	queue   queue.Owners // qmailq, qmails, qmailr, group qmail
	qmailq  owner        // the set-uid qmail-queue
	log     owner        // qmaill:nofiles, the log directories
	admin   owner        // root, the certificate's key
	checkpw owner        // root:nofiles, the set-uid checkpassword
	// throttle: qmaild:nofiles, the login throttle's state, which
	// qmail-smtpd (qmaild) and qmail-popup (root) update.
	throttle owner
}

func singleUserOwners() owners {
	return owners{self, self, queue.Self, self, self, self, self, self}
}

func privilegedOwners(d ids) owners {
	q := d.gid["qmail"]
	return owners{
		root:     owner{0, q},
		alias:    owner{d.uid["alias"], q},
		queue:    queue.Owners{UIDQ: d.uid["qmailq"], UIDS: d.uid["qmails"], UIDR: d.uid["qmailr"], GID: q},
		qmailq:   owner{d.uid["qmailq"], q},
		log:      owner{d.uid["qmaill"], d.gid["nofiles"]},
		admin:    owner{0, 0},
		checkpw:  owner{0, d.gid["nofiles"]},
		throttle: owner{d.uid["qmaild"], d.gid["nofiles"]},
	}
}

// home makes the qmail home: qmail 1.03's hier.c gives the directories
// root:qmail 0755, the alias directory alias:qmail 2755, and the queue
// its owners (queue.Create).
func (in *installer) home(o owners) error {
	c := in.cfg
	for _, d := range []string{"", "control", "users", "bin", "tcp", "boot"} {
		if err := in.dir(c.homePath(d), 0o755, o.root); err != nil {
			return err
		}
	}
	aliasMode := fs.ModeSetgid | 0o755
	if c.SingleUser {
		aliasMode = 0o755
	}
	if err := in.dir(c.homePath("alias"), aliasMode, o.alias); err != nil {
		return err
	}
	if len(c.NullClient) == 0 {
		// The login throttle's counts; a null client has no logins.
		if err := in.dir(c.homePath(throttle.Dir), 0o700, o.throttle); err != nil {
			return err
		}
	}
	if err := in.programs(o); err != nil {
		return err
	}
	if !exists(c.homePath("queue")) {
		if _, err := queue.Create(c.homePath(), c.Split, o.queue); err != nil {
			return fmt.Errorf("unable to make the queue: %w", err)
		}
		in.created(c.homePath("queue"))
	} else if _, err := queue.Create(c.homePath(), c.Split, o.queue); err != nil {
		// Completes a queue left half-made; existing parts stay as they are.
		return fmt.Errorf("unable to complete the queue: %w", err)
	}
	if err := in.controls(o); err != nil {
		return err
	}
	if err := in.aliases(o); err != nil {
		return err
	}
	return in.users(o)
}

// programs links every program of BinDir into the home's bin, where the
// qmail daemons look for each other. In the privileged installation
// qmail-queue is a set-uid qmailq copy, as in qmail, so that any user's
// sendmail can queue, and checkpassword a set-uid root copy that only
// group nofiles may run, so that qmail-smtpd, running as qmaild, can
// check SMTP AUTH passwords against /etc/shadow (as the classic
// qmail-smtpd AUTH recipes make it).
func (in *installer) programs(o owners) error {
	c := in.cfg
	bin := c.homePath("bin")
	if same(bin, c.BinDir) {
		return nil
	}
	ents, err := os.ReadDir(c.BinDir)
	if err != nil {
		return fmt.Errorf("unable to read %s: %w", c.BinDir, err)
	}
	null := len(c.NullClient) > 0
	for _, e := range ents {
		src := filepath.Join(c.BinDir, e.Name())
		if fi, err := os.Stat(src); err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			continue
		}
		dst := filepath.Join(bin, e.Name())
		switch {
		case e.Name() == "qmail-queue" && null:
			continue
		case e.Name() == "qmail-queue" && !c.SingleUser:
			err = in.copyFile(src, dst, fs.ModeSetuid|0o711, o.qmailq)
		case e.Name() == "checkpassword" && !c.SingleUser:
			err = in.copyFile(src, dst, fs.ModeSetuid|0o710, o.checkpw)
		default:
			err = in.symlink(src, dst, o.root)
		}
		if err != nil {
			return err
		}
	}
	if null {
		return in.nullQueue()
	}
	return nil
}

// nullQueue makes bin/qmail-queue a link to qmail-qmqpc, as qmail's
// null client recipe does: every program that queues (qmail-inject,
// sendmail, forward ...) then hands the message to the QMQP servers of
// control/qmqpservers and nothing is queued here. qmail-qmqpc needs no
// privilege, so the link serves every user.
func (in *installer) nullQueue() error {
	c := in.cfg
	src := filepath.Join(c.BinDir, "qmail-qmqpc")
	if fi, err := os.Stat(src); err != nil || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("a null client needs qmail-qmqpc in %s", c.BinDir)
	}
	dst := c.homePath("bin", "qmail-queue")
	if target, err := os.Readlink(dst); err == nil && filepath.Base(target) == "qmail-qmqpc" {
		return nil
	} else if exists(dst) {
		in.say("warning: kept %s, which is not qmail-qmqpc: remove it and run quail-setup again to make this a null client", in.show(dst))
		return nil
	}
	return in.symlink(src, dst, self)
}

func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// controls writes what qmail's config-fast writes, from the host name.
func (in *installer) controls(o owners) error {
	c := in.cfg
	locals := []string{c.Host}
	if c.Host != "localhost" {
		locals = append(locals, "localhost")
	}
	domains := strings.Join(locals, "\n") + "\n"
	if len(c.NullClient) > 0 {
		// A null client delivers nothing itself and accepts nothing
		// from the network.
		domains = ""
	}
	files := []struct{ name, text string }{
		{"me", c.Host + "\n"},
		{"defaultdomain", defaultDomain(c.Host) + "\n"},
		{"plusdomain", defaultDomain(c.Host) + "\n"},
		{"locals", domains},
		{"rcpthosts", domains},
	}
	if len(c.NullClient) > 0 {
		files = append(files, struct{ name, text string }{"qmqpservers", strings.Join(c.NullClient, "\n") + "\n"})
	}
	if c.SingleUser {
		files = append(files, struct{ name, text string }{"singleuser", ""})
	}
	for _, f := range files {
		if err := in.file(c.homePath("control", f.name), f.text, 0o644, o.root); err != nil {
			return err
		}
	}
	if len(c.NullClient) > 0 {
		return nil // no TLS service to certify
	}
	return in.certificate(o)
}

// aliases directs postmaster, mailer-daemon and root (qmail never
// delivers to root) to the administrator: the -a address, or else the
// alias user's own Maildir.
func (in *installer) aliases(o owners) error {
	c := in.cfg
	line := "./Maildir/\n"
	switch {
	case c.Admin != "":
		line = "&" + c.Admin + "\n"
	case c.DemoHome != "":
		line = "&demo@" + c.Host + "\n"
	default:
		md := c.homePath("alias", "Maildir")
		for _, d := range []string{"", "cur", "new", "tmp"} {
			if err := in.dir(filepath.Join(md, d), 0o700, o.alias); err != nil {
				return err
			}
		}
	}
	for _, name := range []string{".qmail-postmaster", ".qmail-mailer-daemon", ".qmail-root"} {
		if err := in.file(c.homePath("alias", name), line, 0o644, o.alias); err != nil {
			return err
		}
	}
	return nil
}

// invoker is the user a single-user instance belongs to.
func invoker() (name string, uid, gid int) {
	uid, gid = os.Getuid(), os.Getgid()
	name = strconv.Itoa(uid)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return
}

// users writes users/assign and compiles users/cdb (qmail-newu) when the
// table is new or the cdb is missing or older. A single-user instance
// sends demo and demo-ext to the demo home and every other address to
// the alias directory (alias and alias-ext as qmail's alias user), all as
// the invoker; the privileged one starts
// with an empty table, so qmail-lspawn uses the password file.
func (in *installer) users(o owners) error {
	c := in.cfg
	assign := ".\n"
	if c.SingleUser {
		name, uid, gid := invoker()
		var b strings.Builder
		if c.DemoHome != "" {
			fmt.Fprintf(&b, "=demo:%s:%d:%d:%s:::\n", name, uid, gid, c.DemoHome)
			fmt.Fprintf(&b, "+demo-:%s:%d:%d:%s:-::\n", name, uid, gid, c.DemoHome)
			if err := in.demo(); err != nil {
				return err
			}
		}
		// qmail's alias user: "alias" and "alias-ext", which
		// virtualdomains entries such as example:alias-example make,
		// read the alias directory's .qmail and .qmail-ext, as
		// ~alias/.qmail-ext in qmail; everything else falls through to
		// the directory with the whole local part as extension
		// (postmaster: .qmail-postmaster), as qmail-getpw falls back on
		// alias.
		alias := filepath.Join(c.Home, "alias")
		fmt.Fprintf(&b, "=alias:%s:%d:%d:%s:::\n", name, uid, gid, alias)
		fmt.Fprintf(&b, "+alias-:%s:%d:%d:%s:-::\n", name, uid, gid, alias)
		fmt.Fprintf(&b, "+:%s:%d:%d:%s:-::\n.\n", name, uid, gid, alias)
		assign = b.String()
	}
	path := c.homePath("users", "assign")
	if err := in.file(path, assign, 0o644, o.root); err != nil {
		return err
	}
	if err := in.compileAssign(o); err != nil {
		return err
	}
	if c.DemoHome == "" {
		return nil
	}
	// The demo user's POP3 password, for the virtual-user checker. Both
	// ids are left empty: the checker runs as the invoker.
	vp := c.homePath(passwd.VPasswdFile)
	if err := in.file(vp, "demo:{PLAIN}demo:::"+c.DemoHome+"\n", 0o600, o.root); err != nil {
		return err
	}
	return in.compileVPasswd(o)
}

func stale(src, dst string) bool {
	s, err1 := os.Stat(src)
	d, err2 := os.Stat(dst)
	return err1 == nil && (err2 != nil || d.ModTime().Before(s.ModTime()))
}

func (in *installer) compileAssign(o owners) error {
	src, dst := in.cfg.homePath("users", "assign"), in.cfg.homePath("users", "cdb")
	if !stale(src, dst) {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	ents, err := users.ParseAssign(b)
	if err != nil {
		return fmt.Errorf("unable to compile users/assign: %w", err)
	}
	if err := users.WriteCDB(dst, ents); err != nil {
		return err
	}
	if err := setOwner(dst, 0o644, o.root); err != nil {
		return err
	}
	in.changes++
	in.say("compiled %s", in.show(dst))
	return nil
}

func (in *installer) compileVPasswd(o owners) error {
	src, dst := in.cfg.homePath(passwd.VPasswdFile), in.cfg.homePath(passwd.VPasswdCDB)
	if !stale(src, dst) {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	vu, err := passwd.ParseVPasswd(b)
	if err != nil {
		return fmt.Errorf("unable to compile %s: %w", passwd.VPasswdFile, err)
	}
	if err := passwd.WriteVPasswdCDB(dst, vu, 0o600); err != nil {
		return err
	}
	if err := setOwner(dst, 0o600, o.root); err != nil {
		return err
	}
	in.changes++
	in.say("compiled %s", in.show(dst))
	return nil
}

// demo makes the demo user's home and Maildir.
func (in *installer) demo() error {
	h := in.cfg.path(in.cfg.DemoHome)
	if err := in.dir(h, 0o755, self); err != nil {
		return err
	}
	for _, d := range []string{"Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"} {
		if err := in.dir(filepath.Join(h, d), 0o700, self); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
