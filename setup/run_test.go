package setup

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMakeRunUnprivileged runs scripts/run.sh (what make run runs after
// the build) from a copy of the tree as an unprivileged user: as nobody
// through setpriv when the test runs as root, else as the test's user. It
// checks that mail to demo@localhost lands in run/home/demo/Maildir, owned
// by that user, that poplib fetches it over POP3 with STLS as demo, that
// submission takes mail after STARTTLS and AUTH, and that SIGTERM (what
// Ctrl-C turns into) stops it all.
func TestMakeRunUnprivileged(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	top, err := os.MkdirTemp("", "quail-makerun-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	for _, d := range []string{"", "bin", "scripts"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(top, d), 0o777)
	}
	copyFile(t, filepath.Join(root, "scripts", "run.sh"), filepath.Join(top, "scripts", "run.sh"), 0o755)
	for _, p := range append(mailPrograms, "quail-setup", "sslserver", "qmail-popup", "qmail-pop3d", "checkvpw",
		"qmail-qmtpd", "qmail-qmqpd") {
		copyFile(t, testbin.Path(t, p), filepath.Join(top, "bin", p), 0o755)
	}
	port, pop3, submission := freePort(t), freePort(t), freePort(t)
	argv := []string{"/bin/sh", filepath.Join(top, "scripts", "run.sh")}
	uid := os.Getuid()
	if uid == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("setpriv (util-linux) is needed to become nobody")
		}
		uid = 65534
		argv = append([]string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = top
	// The services not tested here get ports of their own too, so that
	// a make run on the machine cannot collide with the test.
	ports := map[string]int{"qmail-smtpd": port, "pop3": pop3, "submission": submission}
	opts := ""
	for _, s := range []string{"smtps", "pop3s", "qmtpd", "qmqpd"} {
		ports[s] = freePort(t)
	}
	for s, p := range ports {
		opts += " -p " + s + "=" + strconv.Itoa(p)
	}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "QUAIL_RUN_OPTS=" + opts}

	// First the setup alone, as QUAIL_RUN_SETUP_ONLY gives it, and the
	// administrator's edits: the virtual domain of qmail's documentation
	// (qmail-send(8)), example:alias-example, whose postmaster is
	// ~alias/.qmail-example-postmaster, here run/qmail/alias.
	setupOnly := exec.Command(argv[0], argv[1:]...)
	setupOnly.Dir = top
	setupOnly.Env = append(cmd.Env, "QUAIL_RUN_SETUP_ONLY=1")
	if got, err := setupOnly.CombinedOutput(); err != nil {
		t.Fatalf("run.sh with QUAIL_RUN_SETUP_ONLY=1: %v\n%s", err, got)
	}
	qhome := filepath.Join(top, "run", "qmail")
	rcpthosts, err := os.ReadFile(filepath.Join(qhome, "control", "rcpthosts"))
	if err != nil {
		t.Fatal(err)
	}
	writeOwned(t, filepath.Join(qhome, "control", "virtualdomains"), "example:alias-example\n", uid)
	writeOwned(t, filepath.Join(qhome, "control", "rcpthosts"), string(rcpthosts)+"example\n", uid)
	writeOwned(t, filepath.Join(qhome, "alias", ".qmail-example-postmaster"), "./example-postmaster\n", uid)
	// The README's check of the make run instance finds nothing to say.
	check := exec.Command(filepath.Join(top, "bin", "quail-setup"), "-c", "-d", "run/qmail", "-s", "run/service")
	check.Dir = top
	if got, err := check.CombinedOutput(); err != nil || string(got) != "quail-setup: no problems found in "+qhome+"\n" {
		t.Errorf("quail-setup -c -d run/qmail -s run/service: %v\n%s", err, got)
	}

	var out testbin.Output
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("run.sh output:\n%s", out.String())
			dumpLogs(t, filepath.Join(top, "run", "log"))
		}
	})
	waitFor(t, "qmail-smtpd of make run to listen", 30*time.Second, func() bool { return listening(port) })
	for _, want := range []string{"qmail-smtpd on 127.0.0.1:" + strconv.Itoa(port), "qmail-send, log in run/log/qmail-send/current",
		"run/home/demo/Maildir/", "starting svscan",
		"pop3 here takes USER and PASS before STLS, in the clear, on loopback only"} {
		if !bytes.Contains([]byte(out.String()), []byte(want)) {
			t.Errorf("make run does not say %q:\n%s", want, out.String())
		}
	}
	// Every service answers: a greeting in the clear or after the TLS
	// handshake, or (QMTP, QMQP, which have none) an open port.
	for _, s := range []string{"smtps", "pop3s", "qmtpd", "qmqpd", "pop3", "submission"} {
		waitFor(t, s+" to listen", 30*time.Second, func() bool { return listening(ports[s]) })
	}
	greet := exec.Command("python3", "-c", `import socket,ssl,sys
for port,tls,want in ((sys.argv[1],0,b"220 "),(sys.argv[2],1,b"220 "),(sys.argv[3],0,b"220 "),(sys.argv[4],0,b"+OK"),(sys.argv[5],1,b"+OK")):
    s=socket.create_connection(("127.0.0.1",int(port)),timeout=30)
    if tls: s=ssl._create_unverified_context().wrap_socket(s)
    got=s.recv(100)
    print(port, got.startswith(want))
    s.close()`, strconv.Itoa(port), strconv.Itoa(ports["smtps"]), strconv.Itoa(submission), strconv.Itoa(pop3), strconv.Itoa(ports["pop3s"]))
	if got, err := greet.CombinedOutput(); err != nil || strings.Contains(string(got), "False") {
		t.Errorf("greetings: %v:\n%s", err, got)
	}
	// A client that trusts run/qmail/control/servercert.pem verifies it,
	// by address and by name, as the README says.
	certFile := filepath.Join(qhome, "control", "servercert.pem")
	verify := exec.Command("python3", "-c", `import socket,ssl,sys
ctx=ssl.create_default_context(cafile=sys.argv[2])
for name in ("127.0.0.1","localhost"):
    s=ctx.wrap_socket(socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=30),server_hostname=name)
    print(name, s.recv(100).startswith(b"220 "))
    s.close()`, strconv.Itoa(ports["smtps"]), certFile)
	if got, err := verify.CombinedOutput(); err != nil || string(got) != "127.0.0.1 True\nlocalhost True\n" {
		t.Errorf("verifying smtps against %s: %v:\n%s", certFile, err, got)
	}
	sendSMTP(t, port, "demo@localhost", "make run")
	newDir := filepath.Join(top, "run", "home", "demo", "Maildir", "new")
	waitFor(t, "the message in run/home/demo/Maildir/new", 30*time.Second, func() bool { return len(files(newDir)) == 1 })
	fi, err := os.Stat(filepath.Join(newDir, files(newDir)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
		t.Errorf("the message is not owned by uid %d", uid)
	}

	// The check: what swaks sent on the SMTP port is fetched
	// with poplib on the POP3 port (after STLS) with demo's password.
	waitFor(t, "POP3 to listen", 30*time.Second, func() bool { return listening(pop3) })
	// qmail-pop3d leaves out what arrived in the current second.
	waitFor(t, "the second of the delivery to pass", 5*time.Second, func() bool {
		return time.Now().Unix() > fi.ModTime().Unix()
	})
	fetch := exec.Command("python3", "-c", `import poplib,ssl,sys
p=poplib.POP3("127.0.0.1",int(sys.argv[1]),timeout=30)
p.stls(context=ssl._create_unverified_context())
p.user("demo"); p.pass_("demo")
n,_=p.stat()
msg=b"\n".join(p.retr(1)[1])
p.quit()
print(n, b"Subject: make run" in msg)`, strconv.Itoa(pop3))
	got, err := fetch.CombinedOutput()
	if err != nil || string(got) != "1 True\n" {
		t.Errorf("poplib: %v: %s", err, got)
	}
	// Submission: STARTTLS and AUTH PLAIN as demo, then relaying.
	waitFor(t, "submission to listen", 30*time.Second, func() bool { return listening(submission) })
	sub := exec.Command("python3", "-c", `import smtplib,ssl,sys
s=smtplib.SMTP("127.0.0.1",int(sys.argv[1]),timeout=30)
s.starttls(context=ssl._create_unverified_context())
s.login("demo","demo")
s.sendmail("demo@localhost",["demo@localhost"],"Subject: submitted\r\n\r\nhi\r\n")
s.quit()`, strconv.Itoa(submission))
	if got, err := sub.CombinedOutput(); err != nil {
		t.Errorf("submission: %v: %s", err, got)
	}
	waitFor(t, "the submitted message", 30*time.Second, func() bool {
		return len(files(newDir))+len(files(filepath.Join(newDir, "..", "cur"))) == 2
	})
	// The README's local injection, with the address as people write it.
	inject := exec.Command(testbin.Path(t, "sendmail"), "-t")
	inject.Env = append(os.Environ(), "QMAILHOME="+filepath.Join(top, "run", "qmail"))
	inject.Stdin = strings.NewReader("To: demo@localhost\nSubject: sendmail -t\n\nhi\n")
	if got, err := inject.CombinedOutput(); err != nil {
		t.Errorf("sendmail -t: %v: %s", err, got)
	}
	waitFor(t, "the message from sendmail -t", 30*time.Second, func() bool {
		return len(files(newDir))+len(files(filepath.Join(newDir, "..", "cur"))) == 3
	})

	// The virtual domain's postmaster, through ~alias.
	sendSMTP(t, port, "postmaster@example", "virtual")
	mbox := filepath.Join(qhome, "alias", "example-postmaster")
	waitFor(t, "the message in run/qmail/alias/example-postmaster", 30*time.Second, func() bool {
		b, _ := os.ReadFile(mbox)
		return bytes.Contains(b, []byte("Subject: virtual"))
	})
	if b, _ := os.ReadFile(mbox); !bytes.Contains(b, []byte("\nDelivered-To: alias-example-postmaster@example\n")) {
		t.Errorf("run/qmail/alias/example-postmaster lacks the Delivered-To of alias-example-postmaster:\n%s", b)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("run.sh exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run.sh did not stop on SIGTERM")
	}
	if !bytes.Contains([]byte(out.String()), []byte("quail: stopped")) {
		t.Errorf("run.sh did not report stopping:\n%s", out.String())
	}
	waitFor(t, "the SMTP port to close", 10*time.Second, func() bool { return !listening(port) })
}

// writeOwned writes a file of the instance as its user would.
func writeOwned(t *testing.T, path, text string, uid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(path, uid, -1); err != nil {
		t.Fatal(err)
	}
}
