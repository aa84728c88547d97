package send

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/users"
)

// instance is a single-user qmail home in a temporary directory whose
// every local address is delivered by the real qmail-local to one
// Maildir, and whose qmail-remote is a stand-in script.
type instance struct {
	t       *testing.T
	home    string
	maildir string
	logPath string
	cmd     *exec.Cmd
	waited  chan error
}

// remoteStandIn answers by domain, with texts ended by newlines as
// qmail-remote's are: fail.example refuses the recipient for good,
// defer.example defers unless the file ok exists in the qmail home,
// anything else is accepted.
const remoteStandIn = `#!/bin/sh
cat >/dev/null
case "$1" in
fail.example) printf 'hSorry, %s refuses %s.\n\0DGiving up.\n\0' "$1" "$3" ;;
defer.example)
  if [ -f "$QMAILHOME/ok" ]; then printf 'r\0Kaccepted by %s\n\0' "$1"
  else printf 'sTry again later.\n\0Zdeferred\n\0'; fi ;;
*) printf 'r\0Kaccepted by %s\n\0' "$1" ;;
esac
`

func newInstance(t *testing.T, controls map[string]string) *instance {
	t.Helper()
	for _, p := range []string{"qmail-start", "qmail-send", "qmail-lspawn", "qmail-rspawn", "qmail-clean", "qmail-queue", "qmail-local"} {
		testbin.Path(t, p)
	}
	dir := t.TempDir()
	in := &instance{t: t, home: filepath.Join(dir, "qmail"), maildir: filepath.Join(dir, "user", "Maildir")}
	for _, d := range []string{"control", "bin", "users"} {
		os.MkdirAll(filepath.Join(in.home, d), 0o755)
	}
	for _, d := range []string{"new", "cur", "tmp"} {
		os.MkdirAll(filepath.Join(in.maildir, d), 0o700)
	}
	ctl := map[string]string{"me": "localhost", "singleuser": ""}
	for k, v := range controls {
		ctl[k] = v
	}
	for k, v := range ctl {
		in.control(k, v)
	}
	if _, err := queue.Create(in.home, 23, queue.Self); err != nil {
		t.Fatal(err)
	}
	assign := fmt.Sprintf("+:tester:%d:%d:%s:::\n.\n", os.Getuid(), os.Getgid(), filepath.Dir(in.maildir))
	ents, err := users.ParseAssign([]byte(assign))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.WriteCDB(filepath.Join(in.home, "users", "cdb"), ents); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in.home, "bin", "qmail-remote"), []byte(remoteStandIn), 0o755); err != nil {
		t.Fatal(err)
	}
	in.logPath = filepath.Join(dir, "log")
	return in
}

func (in *instance) control(name, value string) {
	in.t.Helper()
	if err := os.WriteFile(filepath.Join(in.home, "control", name), []byte(value+"\n"), 0o644); err != nil {
		in.t.Fatal(err)
	}
}

func (in *instance) env() []string {
	return []string{"QMAILHOME=" + in.home, "PATH=/usr/bin:/bin"}
}

// start runs qmail-start, which becomes qmail-send, logging to a file.
func (in *instance) start() {
	in.t.Helper()
	logf, err := os.OpenFile(in.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		in.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(testbin.Path(in.t, "qmail-start"), "./Maildir/")
	cmd.Env = in.env()
	cmd.Dir = in.home
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	in.cmd = cmd
	in.waited = make(chan error, 1)
	go func() { in.waited <- cmd.Wait() }()
	in.t.Cleanup(func() { in.stop() })
}

func (in *instance) signal(sig syscall.Signal) {
	if in.cmd != nil {
		in.cmd.Process.Signal(sig)
	}
}

// stop ends qmail-send with SIGTERM and waits for it and its daemons.
func (in *instance) stop() error {
	if in.cmd == nil {
		return nil
	}
	pid := in.cmd.Process.Pid
	kids := testbin.Children(pid)
	in.signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-in.waited:
	case <-time.After(30 * time.Second):
		in.cmd.Process.Kill()
		err = <-in.waited
		in.t.Errorf("qmail-send did not exit on SIGTERM")
	}
	in.cmd = nil
	waitGone(in.t, kids)
	return err
}

func waitGone(t *testing.T, pids []int) {
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range pids {
		for syscall.Kill(p, 0) == nil && !zombie(p) {
			if time.Now().After(deadline) {
				t.Errorf("process %d still running", p)
				syscall.Kill(p, syscall.SIGKILL)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}

func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// inject runs qmail-queue and returns its exit code.
func (in *instance) inject(msg, sender string, recips ...string) int {
	in.t.Helper()
	er, ew, err := os.Pipe()
	if err != nil {
		in.t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path(in.t, "qmail-queue"))
	cmd.Env = in.env()
	cmd.Stdin = strings.NewReader(msg)
	cmd.Stdout = er
	if err := cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	er.Close()
	var env bytes.Buffer
	env.WriteString("F" + sender + "\x00")
	for _, r := range recips {
		env.WriteString("T" + r + "\x00")
	}
	env.WriteByte(0)
	ew.Write(env.Bytes())
	ew.Close()
	return testbin.ExitCode(in.t, cmd.Wait())
}

func (in *instance) log() string {
	b, _ := os.ReadFile(in.logPath)
	return string(b)
}

// waitLog waits until the log matches re and returns the submatches.
func (in *instance) waitLog(re string) []string {
	in.t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	if !testbin.Eventually(30*time.Second, func() bool { m = rx.FindStringSubmatch(in.log()); return m != nil }) {
		in.t.Fatalf("log never matched %q; log:\n%s", re, in.log())
	}
	return m
}

// mail returns the messages delivered to the Maildir.
func (in *instance) mail() []string {
	ents, _ := os.ReadDir(filepath.Join(in.maildir, "new"))
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(in.maildir, "new", e.Name()))
		if err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

func (in *instance) waitMail(n int) []string {
	in.t.Helper()
	var m []string
	if !testbin.Eventually(30*time.Second, func() bool { m = in.mail(); return len(m) >= n }) {
		in.t.Fatalf("%d messages delivered, want %d; log:\n%s", len(in.mail()), n, in.log())
	}
	return m
}

// queueFiles lists the files left in the queue's message directories.
func (in *instance) queueFiles(dirs ...string) []string {
	var out []string
	for _, d := range dirs {
		filepath.Walk(filepath.Join(in.home, "queue", d), func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				out = append(out, strings.TrimPrefix(p, in.home+"/queue/"))
			}
			return nil
		})
	}
	return out
}

func newInstanceSameHome(t *testing.T, in *instance) *instance {
	return &instance{t: t, home: in.home, maildir: in.maildir, logPath: filepath.Join(t.TempDir(), "log2")}
}

func timeout(t *testing.T) <-chan time.Time { return time.After(30 * time.Second) }

func sleepBriefly() { time.Sleep(10 * time.Millisecond) }

// dumpQueue logs, for a failing test, what is left in the queue: each
// file with its contents, the log lines naming the messages left, and the
// log's tail.
func (in *instance) dumpQueue() {
	in.t.Helper()
	log := in.log()
	ids := map[string]bool{}
	for _, f := range in.queueFiles(allDirs...) {
		b, err := os.ReadFile(filepath.Join(in.home, "queue", f))
		if len(b) > 512 {
			b = b[:512]
		}
		in.t.Logf("queue file %s (%v): %q", f, err, b)
		ids[filepath.Base(f)] = true
	}
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	for id := range ids {
		// The first mentions tell the story; a todo that fails repeats.
		n := 0
		for _, l := range lines {
			if n < 12 && (strings.Contains(l, " "+id+":") || strings.Contains(l, "/"+id+":") || strings.HasSuffix(l, " "+id) || strings.Contains(l, " "+id+" ")) {
				in.t.Logf("log: %s", l)
				n++
			}
		}
	}
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	in.t.Logf("log tail:\n%s", strings.Join(lines, "\n"))
}
