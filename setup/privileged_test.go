package setup

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeRoot is a root prefix with the account files of a fresh system.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	write(t, filepath.Join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
	write(t, filepath.Join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n")
	write(t, filepath.Join(root, "etc", "shadow"), "root:*:19000:0:99999:7:::\n")
	chmod(t, filepath.Join(root, "etc", "shadow"), 0o640)
	write(t, filepath.Join(root, "etc", "login.defs"), "SYS_UID_MIN 101\nSYS_UID_MAX 200\nSYS_GID_MIN 101\nSYS_GID_MAX 200\n")
	write(t, filepath.Join(root, "etc", "inittab"), "id:2:initdefault:\n")
	return root
}

func privileged(root, bin string) *Config {
	return &Config{Root: root, Home: "/var/qmail", Host: "mail.example.com", ServiceDir: "/var/service",
		LogDir: "/var/log", BinDir: bin, Boot: true, Ports: map[string]int{}}
}

// TestPrivilegedInstallation makes the root installation under a root
// prefix (the account files there, not the machine's) and compares the
// home and the queue with qmail's ownerships and modes.
func TestPrivilegedInstallation(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the privileged installation needs root to give files to qmail's users")
	}
	root := fakeRoot(t)
	bin := fakeBin(t, append(allPrograms(), "svscanboot")...)
	var out bytes.Buffer
	r, err := Setup(privileged(root, bin), &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(r.Services) != len(services) {
		t.Errorf("services %v, want all", r.Services)
	}
	in := &installer{cfg: privileged(root, bin)}
	d, err := in.readIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range qmailUsers {
		if n, ok := d.uid[u.name]; !ok || n < 101 || n > 200 {
			t.Errorf("user %s: uid %d (%v), want one in login.defs' system range", u.name, n, ok)
		}
	}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	if !strings.Contains(string(passwd), ":/var/qmail/alias:") {
		t.Errorf("alias's home is not /var/qmail/alias:\n%s", passwd)
	}
	shadow, _ := os.ReadFile(filepath.Join(root, "etc", "shadow"))
	if fi, _ := os.Stat(filepath.Join(root, "etc", "shadow")); !strings.Contains(string(shadow), "\nqmaild:!:") || fi.Mode().Perm() != 0o640 {
		t.Errorf("shadow lacks a locked qmaild or lost its mode %v:\n%s", fi.Mode(), shadow)
	}
	q, nofiles := d.gid["qmail"], d.gid["nofiles"]
	want := []struct {
		path     string
		mode     fs.FileMode
		uid, gid int
	}{
		{"var/qmail", fs.ModeDir | 0o755, 0, q},
		{"var/qmail/control", fs.ModeDir | 0o755, 0, q},
		{"var/qmail/control/me", 0o644, 0, q},
		{"var/qmail/control/serverkey.pem", 0o600, 0, 0},
		{"var/qmail/users/cdb", 0o644, 0, q},
		{"var/qmail/alias", fs.ModeDir | fs.ModeSetgid | 0o755, d.uid["alias"], q},
		{"var/qmail/alias/.qmail-postmaster", 0o644, d.uid["alias"], q},
		{"var/qmail/bin/qmail-queue", fs.ModeSetuid | 0o711, d.uid["qmailq"], q},
		{"var/qmail/bin/checkpassword", fs.ModeSetuid | 0o710, 0, nofiles},
		{"var/qmail/queue", fs.ModeDir | 0o750, d.uid["qmailq"], q},
		{"var/qmail/queue/mess/22", fs.ModeDir | 0o750, d.uid["qmailq"], q},
		{"var/qmail/queue/todo", fs.ModeDir | 0o750, d.uid["qmailq"], q},
		{"var/qmail/queue/info/0", fs.ModeDir | 0o700, d.uid["qmails"], q},
		{"var/qmail/queue/bounce", fs.ModeDir | 0o700, d.uid["qmails"], q},
		{"var/qmail/queue/lock/trigger", fs.ModeNamedPipe | 0o622, d.uid["qmails"], q},
		{"var/qmail/queue/lock/tcpto", 0o644, d.uid["qmailr"], q},
		{"var/qmail/queue/lock/mtasts", fs.ModeDir | 0o755, d.uid["qmailr"], q},
		{"var/log/qmail-smtpd", fs.ModeDir | 0o750, d.uid["qmaill"], nofiles},
	}
	for _, w := range want {
		fi, err := os.Lstat(filepath.Join(root, w.path))
		if err != nil {
			t.Errorf("%s: %v", w.path, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != w.mode || int(st.Uid) != w.uid || int(st.Gid) != w.gid {
			t.Errorf("/%s: %v %d:%d, want %v %d:%d", w.path, fi.Mode(), st.Uid, st.Gid, w.mode, w.uid, w.gid)
		}
	}
	env := func(svc, name string) string {
		b, _ := os.ReadFile(filepath.Join(root, "var/service", svc, "env", name))
		return strings.TrimSpace(string(b))
	}
	if env("qmail-smtpd", "QMAILDUID") != itoa(d.uid["qmaild"]) || env("qmail-smtpd", "LOGUSER") != "qmaill" ||
		env("qmail-smtpd", "PORT") != "25" || env("pop3", "QMAILDUID") != "" ||
		env("submission", "CHECKPASSWORD") != "/var/qmail/bin/checkpassword" ||
		// Passwords only over TLS (STLS before USER, PASS and APOP;
		// STARTTLS before AUTH), and a per-address limit everywhere.
		env("pop3", "UCSPITLS") != "!" || env("submission", "UCSPITLS") != "!" || env("submission", "SMTPAUTH") != "!" ||
		env("qmail-smtpd", "MAXCONIP") != "10" || env("pop3s", "MAXCONIP") != "10" || env("qmqpd", "MAXCONIP") != "10" {
		t.Errorf("privileged service settings wrong: smtpd uid %q loguser %q port %q, pop3 uid %q",
			env("qmail-smtpd", "QMAILDUID"), env("qmail-smtpd", "LOGUSER"), env("qmail-smtpd", "PORT"), env("pop3", "QMAILDUID"))
	}
	tab, _ := os.ReadFile(filepath.Join(root, "etc", "inittab"))
	if !strings.Contains(string(tab), "SV:123456:respawn:"+bin+"/svscanboot /var/service\n") {
		t.Errorf("inittab lacks svscanboot:\n%s", tab)
	}

	var report bytes.Buffer
	if n, err := Check(privileged(root, bin), &report); err != nil || n != 0 {
		t.Errorf("check of a fresh installation: %d problems (%v):\n%s", n, err, report.String())
	}
	before := snapshot(t, root)
	out.Reset()
	if r, err := Setup(privileged(root, bin), &out); err != nil || r.Changes != 0 {
		t.Errorf("second run: %d changes (%v):\n%s", r.Changes, err, out.String())
	}
	after := snapshot(t, root)
	for p, d := range before {
		if after[p] != d {
			t.Errorf("%s changed on the second run:\n was %s\n now %s", p, d, after[p])
		}
	}

	// A set-uid copy older than the installed program is reported.
	write(t, filepath.Join(bin, "qmail-queue"), "#!/bin/sh\n# a newer version\n")
	report.Reset()
	Check(privileged(root, bin), &report)
	if !strings.Contains(report.String(), "/var/qmail/bin/qmail-queue differs from "+bin+"/qmail-queue") {
		t.Errorf("check missed a stale qmail-queue copy:\n%s", report.String())
	}

	// Ownership is part of the check: give the queue to root.
	os.Chown(filepath.Join(root, "var/qmail/queue/todo"), 0, 0)
	report.Reset()
	Check(privileged(root, bin), &report)
	if !strings.Contains(report.String(), "/var/qmail/queue/todo belongs to 0:0, not qmailq:qmail; chown qmailq:qmail /var/qmail/queue/todo") {
		t.Errorf("check missed a queue directory owned by root:\n%s", report.String())
	}

	// An account whose hash checkpassword cannot check is named.
	appendFile(t, filepath.Join(root, "etc", "passwd"), "bob:x:1001:1001::/home/bob:/bin/sh\n")
	appendFile(t, filepath.Join(root, "etc", "shadow"), "bob:$2b$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE:19000::::::\n")
	report.Reset()
	Check(privileged(root, bin), &report)
	if !strings.Contains(report.String(), "quail-setup: problem: /etc/shadow: checkpassword cannot check the password of bob (unsupported password hash scheme: bcrypt); set it again with passwd or chpasswd (both write yescrypt) or POP3 and SMTP AUTH logins fail for bob\n") {
		t.Errorf("check missed a bcrypt hash:\n%s", report.String())
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// TestSystemdUnit is chosen over inittab where systemd runs the machine.
func TestSystemdUnit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the privileged installation needs root")
	}
	root := fakeRoot(t)
	os.MkdirAll(filepath.Join(root, "run", "systemd", "system"), 0o755)
	var out bytes.Buffer
	if _, err := Setup(privileged(root, fakeBin(t, allPrograms()...)), &out); err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/quail.service"))
	if err != nil || !strings.Contains(string(unit), "/svscan /var/service\n") || !strings.Contains(string(unit), "KillMode=process") {
		t.Errorf("unit file (%v):\n%s", err, unit)
	}
	if tab, _ := os.ReadFile(filepath.Join(root, "etc", "inittab")); strings.Contains(string(tab), "svscanboot") {
		t.Errorf("inittab changed under systemd:\n%s", tab)
	}
}

func TestPrivilegedNeedsRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("only a user other than root is refused")
	}
	_, err := Setup(privileged(t.TempDir(), fakeBin(t)), &bytes.Buffer{})
	if err != ErrNotRoot {
		t.Errorf("got %v, want ErrNotRoot", err)
	}
}

// TestInittabWithoutSvscanboot: without an installed svscanboot, setup
// writes its own into QMAILHOME/boot and names that in inittab.
func TestInittabWithoutSvscanboot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the privileged installation needs root")
	}
	root := fakeRoot(t)
	bin := fakeBin(t, allPrograms()...)
	if _, err := Setup(privileged(root, bin), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	tab, _ := os.ReadFile(filepath.Join(root, "etc", "inittab"))
	script, err := os.ReadFile(filepath.Join(root, "var/qmail/boot/svscanboot"))
	if !strings.Contains(string(tab), "SV:123456:respawn:/var/qmail/boot/svscanboot\n") || err != nil ||
		!strings.Contains(string(script), "svscan /var/service") {
		t.Errorf("inittab:\n%s\nscript (%v):\n%s", tab, err, script)
	}
}
