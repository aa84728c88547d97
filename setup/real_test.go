package setup

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/internal/testbin"
)

// procTree maps every process below pid to its name and real uid, read
// from /proc; a POP3 server's name gets "(pop3)".
func procTree(pid int) map[int][2]string {
	parent := map[int]int{}
	info := map[int][2]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		var name, uid string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "Name:":
				name = f[1]
			case len(f) >= 2 && f[0] == "Uid:":
				uid = f[1]
			case len(f) >= 2 && f[0] == "PPid:":
				parent[n], _ = strconv.Atoi(f[1])
			}
		}
		// POP3 servers stay root: tell them by their command line.
		if cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); bytes.Contains(cmdline, []byte("qmail-popup")) {
			name += "(pop3)"
		}
		info[n] = [2]string{name, uid}
	}
	out := map[int][2]string{}
	for n := range info {
		for p := parent[n]; p > 1; p = parent[p] {
			if p == pid {
				out[n] = info[n]
				break
			}
		}
	}
	return out
}

// TestRealPrivilegedInstallation installs for real, with qmail's users
// added to this machine's account files, and runs it: mail by SMTP is
// delivered as the recipient's user, and every daemon runs as its qmail
// user (read from /proc), only qmail-lspawn and the supervisors as root.
// It changes the machine, so it runs only as root with
// QUAIL_PRIVILEGED_TEST=1 (CI sets it on its throw-away machine).
func TestRealPrivilegedInstallation(t *testing.T) {
	if os.Geteuid() != 0 || os.Getenv("QUAIL_PRIVILEGED_TEST") != "1" {
		t.Skip("adds qmail's users to this machine: runs as root with QUAIL_PRIVILEGED_TEST=1 only")
	}
	top, err := os.MkdirTemp("", "quail-privileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	os.Chmod(top, 0o755)
	// The daemons run as qmail's users, so their programs must be
	// somewhere those may read: a copy, not the test's private build.
	bin := filepath.Join(top, "bin")
	os.Mkdir(bin, 0o755)
	for _, p := range append(mailPrograms, "qmail-newu", "sslserver", "checkpassword", "qmail-popup", "qmail-pop3d") {
		copyFile(t, testbin.Path(t, p), filepath.Join(bin, p), 0o755)
	}
	// The set-uid qmail-queue ignores QMAILHOME, so the home is the one
	// the programs were built for; the test owns it for its duration.
	home := qmailhome.Default
	if ents, err := os.ReadDir(home); err == nil && len(ents) > 0 {
		t.Skipf("%s is in use; the test installs there", home)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	port, smtps, submission, pop3 := freePort(t), freePort(t), freePort(t), freePort(t)
	c := &Config{Home: home, Host: "localhost", ServiceDir: filepath.Join(top, "service"),
		LogDir: filepath.Join(top, "log"), BinDir: bin, IP: "127.0.0.1",
		Ports: map[string]int{"qmail-smtpd": port, "smtps": smtps, "submission": submission, "pop3": pop3,
			"pop3s": freePort(t)}}
	var out bytes.Buffer
	if _, err := Setup(c, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	// A mailbox of nobody's, as an administrator adds one to users/assign.
	box := filepath.Join(top, "box")
	for _, d := range []string{"", "Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"} {
		os.Mkdir(filepath.Join(box, d), 0o700)
		os.Chown(filepath.Join(box, d), 65534, 65534)
	}
	os.Chmod(box, 0o755)
	assign := filepath.Join(c.Home, "users", "assign")
	write(t, assign, "=tester:nobody:65534:65534:"+box+":::\n.\n")
	newu := exec.Command(filepath.Join(bin, "qmail-newu"))
	newu.Env = []string{"QMAILHOME=" + c.Home}
	if b, err := newu.CombinedOutput(); err != nil {
		t.Fatalf("qmail-newu: %v %s", err, b)
	}
	// Remote mail goes to a sink on loopback: qmail-rspawn, as qmailr,
	// runs quail's qmail-remote inside its own process.
	sink := testbin.StartSMTPSink(t)
	write(t, filepath.Join(c.Home, "control", "smtproutes"), ":"+sink.Addr+"\n")
	var report bytes.Buffer
	if n, err := Check(&Config{Home: c.Home, Host: "localhost", ServiceDir: c.ServiceDir, LogDir: c.LogDir, BinDir: bin}, &report); err != nil || n != 0 {
		t.Errorf("check: %d problems (%v):\n%s", n, err, report.String())
	}

	t.Cleanup(func() { dumpLogs(t, c.LogDir) })
	cmd := svscan(t, c.ServiceDir, bin)
	waitFor(t, "qmail-smtpd to listen", 30*time.Second, func() bool { return listening(port) })
	sendSMTP(t, port, "tester@localhost", "privileged")
	newDir := filepath.Join(box, "Maildir", "new")
	waitFor(t, "the message in nobody's Maildir", 30*time.Second, func() bool { return len(files(newDir)) == 1 })
	sendSMTP(t, port, "someone@far.example", "relayed")
	waitFor(t, "the relayed message at the sink", 30*time.Second, func() bool { return sink.Got("Subject: relayed") })
	fi, err := os.Stat(filepath.Join(newDir, files(newDir)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 65534 {
		t.Errorf("the message belongs to uid %d, not nobody", uid)
	}

	// SMTPS: sslserver read root's key before becoming qmaild, and the
	// set-uid checkpassword could read /etc/shadow as qmaild: a wrong
	// password for root is refused (535), not deferred (454) for want of
	// the file.
	waitFor(t, "smtps to listen", 30*time.Second, func() bool { return listening(smtps) })
	auth := exec.Command("python3", "-c", `import smtplib,ssl,sys
s=smtplib.SMTP_SSL("127.0.0.1",int(sys.argv[1]),context=ssl._create_unverified_context(),timeout=30)
try:
    s.login("root","not-the-password")
except smtplib.SMTPAuthenticationError as e:
    print(e.smtp_code)
s.quit()`, strconv.Itoa(smtps))
	if got, err := auth.CombinedOutput(); err != nil || strings.TrimSpace(string(got)) != "535" {
		t.Errorf("AUTH as root with a wrong password over SMTPS: %v: %s", err, got)
	}

	// A system user with a password: AUTH on submission after STARTTLS,
	// relayed to itself, delivered by qmail-lspawn through the password
	// file to ~/Maildir/ (qmail-start's ./Maildir/), and fetched by POP3
	// after STLS through the set-uid checkpassword.
	systemUser(t, "quailtest", "quail-secret", filepath.Join(top, "quailtest"))
	mail := exec.Command("python3", "-c", `import smtplib,ssl,sys,poplib,time,os
ctx=ssl._create_unverified_context()
s=smtplib.SMTP("127.0.0.1",int(sys.argv[1]),timeout=30)
s.starttls(context=ctx)
s.login("quailtest","quail-secret")
s.sendmail("quailtest@localhost",["quailtest@localhost"],"Subject: submitted\r\n\r\nhi\r\n")
s.quit()
new=sys.argv[3]
for i in range(3000):
    if os.listdir(new): break
    time.sleep(0.01)
time.sleep(1.1) # qmail-pop3d leaves out the current second
p=poplib.POP3("127.0.0.1",int(sys.argv[2]),timeout=30)
p.stls(context=ctx)
p.user("quailtest"); p.pass_("quail-secret")
print(p.stat()[0])
p.quit()`, strconv.Itoa(submission), strconv.Itoa(pop3), filepath.Join(top, "quailtest", "Maildir", "new"))
	waitFor(t, "submission and POP3 to listen", 30*time.Second, func() bool { return listening(submission) && listening(pop3) })
	if got, err := mail.CombinedOutput(); err != nil || strings.TrimSpace(string(got)) != "1" {
		t.Errorf("submission and POP3 as a system user: %v:\n%s", err, got)
	}

	// No password in the clear: POP3 takes no USER before STLS and its
	// CAPA does not list USER; submission offers no AUTH before STARTTLS
	// and answers one with 538. A wrong POP3 password after STLS (root's
	// qmail-popup) counts in the login throttle beside smtps' failure
	// (qmaild's qmail-smtpd): its files stay qmaild's.
	clear := exec.Command("python3", "-c", `import poplib,smtplib,ssl,sys,base64
p=poplib.POP3("127.0.0.1",int(sys.argv[1]),timeout=30)
print("USER" in p.capa())
try:
    p.user("quailtest")
    print("USER taken")
except poplib.error_proto as e:
    print(e.args[0].decode())
p.quit()
p=poplib.POP3("127.0.0.1",int(sys.argv[1]),timeout=30)
p.stls(context=ssl._create_unverified_context())
p.user("no-such-user")
try:
    p.pass_("wrong")
except poplib.error_proto as e:
    print(e.args[0].decode())
s=smtplib.SMTP("127.0.0.1",int(sys.argv[2]),timeout=30)
s.ehlo()
print(s.has_extn("auth"))
print(s.docmd("AUTH","PLAIN "+base64.b64encode(b"\0quailtest\0quail-secret").decode())[0])
s.quit()`, strconv.Itoa(pop3), strconv.Itoa(submission))
	if got, err := clear.CombinedOutput(); err != nil || string(got) != "False\n-ERR STLS first\n-ERR authorization failed\nFalse\n538\n" {
		t.Errorf("passwords in the clear: %v:\n%s", err, got)
	}
	ents, _ := os.ReadDir(filepath.Join(c.Home, "throttle"))
	qmaild, _ := user.Lookup("qmaild")
	for _, e := range ents {
		fi, _ := e.Info()
		if uid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); uid != qmaild.Uid {
			t.Errorf("throttle/%s belongs to uid %s, not qmaild", e.Name(), uid)
		}
	}
	if len(ents) < 2 {
		t.Errorf("the login throttle recorded nothing: %v", ents)
	}

	// The same with the clients the issue names: swaks on submission
	// with STARTTLS and AUTH, then fetchmail with STLS, which deletes both
	// messages.
	swaks := testbin.Peer(t, "swaks")
	if b, err := exec.Command(swaks, "--server", "127.0.0.1", "--port", strconv.Itoa(submission), "--tls",
		"--auth", "LOGIN", "--auth-user", "quailtest", "--auth-password", "quail-secret",
		"--from", "quailtest@localhost", "--to", "quailtest@localhost", "--helo", "client.test").CombinedOutput(); err != nil {
		t.Errorf("swaks on submission with STARTTLS and AUTH: %v\n%s", err, b)
	}
	qnew := filepath.Join(top, "quailtest", "Maildir", "new")
	waitFor(t, "swaks's message in quailtest's Maildir", 30*time.Second, func() bool { return len(files(qnew)) >= 1 })
	time.Sleep(1100 * time.Millisecond) // qmail-pop3d leaves out the current second
	fetchmail := testbin.Peer(t, "fetchmail")
	fdir := t.TempDir()
	got := filepath.Join(fdir, "fetched")
	rc := filepath.Join(fdir, "fetchmailrc")
	write(t, rc, "set no bouncemail\npoll 127.0.0.1 protocol pop3 port "+strconv.Itoa(pop3)+
		" user \"quailtest\" password \"quail-secret\" mda \"/bin/sh -c 'cat >> "+got+"'\" sslproto \"TLS1.2+\" no sslcertck options fetchall no keep\n")
	os.Chmod(rc, 0o600)
	fm := exec.Command(fetchmail, "-f", rc, "--nodetach")
	fm.Env = []string{"HOME=" + fdir, "FETCHMAILHOME=" + fdir, "PATH=/bin:/usr/bin"}
	if b, err := fm.CombinedOutput(); err != nil {
		t.Errorf("fetchmail with STLS: %v\n%s", err, b)
	}
	if b, _ := os.ReadFile(got); strings.Count(string(b), "Subject:") < 1 {
		t.Errorf("fetchmail fetched nothing:\n%s", b)
	}

	want := map[string]string{"qmail-send": "qmails", "sslserver": "qmaild", "sslserver(pop3)": "root", "qmail-lspawn": "root", "qmail-rspawn": "qmailr",
		"qmail-clean": "qmailq", "tcpserver": "qmaild", "multilog": "qmaill", "supervise": "root"}
	seen := map[string]bool{}
	for pid, p := range procTree(cmd.Process.Pid) {
		name, uid := p[0], p[1]
		u, ok := want[name]
		if !ok {
			continue
		}
		seen[name] = true
		wantUID := "0"
		if u != "root" {
			pw, err := user.Lookup(u)
			if err != nil {
				t.Fatal(err)
			}
			wantUID = pw.Uid
		}
		if uid != wantUID {
			t.Errorf("%s (pid %d) runs as uid %s, want %s (%s)", name, pid, uid, u, wantUID)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("no %s process found under svscan", name)
		}
	}
	out.Reset()
	if r, err := Setup(c, &out); err != nil || r.Changes != 0 {
		t.Errorf("second run: %d changes (%v):\n%s", r.Changes, err, out.String())
	}
}

// systemUser adds a login with a yescrypt password, as Debian 12's
// passwd and chpasswd write them, and a Maildir, and removes it when the
// test ends.
func systemUser(t *testing.T, name, password, home string) {
	t.Helper()
	exec.Command("userdel", name).Run()
	if b, err := exec.Command("useradd", "-m", "-d", home, "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v %s", err, b)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	chpw := exec.Command("chpasswd", "-c", "YESCRYPT")
	chpw.Stdin = strings.NewReader(name + ":" + password + "\n")
	if b, err := chpw.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v %s", err, b)
	}
	pw, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(pw.Uid)
	gid, _ := strconv.Atoi(pw.Gid)
	os.Chmod(home, 0o755)
	for _, d := range []string{"Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"} {
		p := filepath.Join(home, d)
		os.Mkdir(p, 0o700)
		os.Chown(p, uid, gid)
	}
}
