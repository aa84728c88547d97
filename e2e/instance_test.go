package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/maildir"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/users"
)

// programs an instance links into its bin directory.
var programs = []string{
	"qmail-queue", "qmail-send", "qmail-start", "qmail-lspawn", "qmail-rspawn",
	"qmail-clean", "qmail-local", "qmail-remote", "qmail-smtpd", "qmail-inject",
	"sendmail", "preline", "forward", "tcpserver", "sslserver", "rblsmtpd",
}

// instance is a single-user quail under a temporary directory: a qmail
// home with its queue, qmail-send running, and a local user demo whose
// Maildir is Maildir.
type instance struct {
	t       *testing.T
	Home    string
	Bin     string
	Maildir string
	Env     []string
	log     *testbin.Output
}

func newInstance(t *testing.T) *instance {
	t.Helper()
	in := makeInstance(t)
	in.startSend("./Maildir/")
	return in
}

// makeInstance is newInstance without qmail-send, for a test that starts
// it its own way.
func makeInstance(t *testing.T) *instance {
	t.Helper()
	root := t.TempDir()
	os.Chmod(root, 0755)
	home := filepath.Join(root, "qmail")
	demo := filepath.Join(root, "demo")
	in := &instance{t: t, Home: home, Bin: filepath.Join(home, "bin"), Maildir: filepath.Join(demo, "Maildir")}
	for _, d := range []string{in.Bin, filepath.Join(home, "control"), filepath.Join(home, "users"), filepath.Join(home, "alias"), demo} {
		if err := os.MkdirAll(d, 0755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(home, "alias"), 0755)
	for _, p := range programs {
		if err := os.Symlink(testbin.Path(t, p), filepath.Join(in.Bin, p)); err != nil {
			t.Fatal(err)
		}
	}
	control := map[string]string{
		"me":         "mx.test",
		"locals":     "localhost\nmx.test",
		"rcpthosts":  "localhost\nmx.test",
		"singleuser": "",
	}
	for name, body := range control {
		if err := os.WriteFile(filepath.Join(home, "control", name), []byte(body+"\n"), 0644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := queue.Create(home, 23, queue.Self); err != nil {
		t.Fatal(err)
	}
	if err := maildir.Create(in.Maildir); err != nil {
		t.Fatal(err)
	}
	uid, gid := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	assign := fmt.Sprintf("=demo:demo:%s:%s:%s:::\n+demo-:demo:%s:%s:%s:-::\n.\n", uid, gid, demo, uid, gid, demo)
	entries, err := users.ParseAssign([]byte(assign))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.WriteCDB(filepath.Join(home, "users", "cdb"), entries); err != nil {
		t.Fatal(err)
	}
	// DNSCACHEIP on loopback, where nothing answers: a test must never
	// send a DNS query anywhere else (a bounce to a remote sender would
	// make qmail-remote look up its MX). Lookups fail at once instead.
	in.Env = []string{"QMAILHOME=" + home, "PATH=" + in.Bin + ":/usr/bin:/bin", "DNSCACHEIP=127.0.0.1"}
	return in
}

// startSend runs qmail-start with args (the default delivery, then a
// logger if any) and keeps its log.
func (in *instance) startSend(args ...string) {
	t := in.t
	cmd := exec.Command(filepath.Join(in.Bin, "qmail-start"), args...)
	cmd.Env = in.Env
	cmd.Dir = "/"
	in.log = &testbin.Output{}
	cmd.Stdout = in.log
	cmd.Stderr = in.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("qmail-send log:\n%s", in.log.String())
		}
	})
}

// smtpd starts tcpserver with qmail-smtpd on 127.0.0.1 and a free port,
// with the extra environment given, and returns the port.
func (in *instance) smtpd(env []string, args ...string) string {
	argv := append([]string{"-R", "-H", "-l", "mx.test", "-c", "100", "127.0.0.1", "0", "qmail-smtpd"}, args...)
	srv := testbin.StartServer(in.t, filepath.Join(in.Bin, "tcpserver"), append(append([]string{}, in.Env...), env...), argv...)
	return strconv.Itoa(srv.Port)
}

// delivered returns the messages in the demo Maildir's new/ and cur/.
func (in *instance) delivered() []string {
	var out []string
	for _, sub := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(in.Maildir, sub))
		for _, e := range ents {
			out = append(out, filepath.Join(in.Maildir, sub, e.Name()))
		}
	}
	return out
}

// waitDelivered waits until n messages are in the Maildir.
func (in *instance) waitDelivered(n int, within time.Duration) []string {
	in.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := in.delivered()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("%d of %d messages delivered after %v", len(got), n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queueEmpty says whether no message is left in the queue.
func (in *instance) queueEmpty() bool {
	n := 0
	filepath.Walk(filepath.Join(in.Home, "queue", "mess"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n++
		}
		return nil
	})
	return n == 0
}
