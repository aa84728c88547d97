package cluster

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
)

// Programs each kind of host gets in its bin directory; quail-setup
// installs exactly the services whose programs are there.
var (
	daemontools  = []string{"envdir", "softlimit", "multilog", "setuidgid", "svscan", "supervise"}
	sendPrograms = []string{"qmail-start", "qmail-send", "qmail-lspawn", "qmail-rspawn", "qmail-clean",
		"qmail-local", "qmail-queue", "qmail-remote"}
	// An MX (and the backup MX): qmail-send and qmail-smtpd.
	mxPrograms = append(append(append([]string{}, daemontools...), sendPrograms...), "tcpserver", "rblsmtpd", "qmail-smtpd")
	// The hub: qmail-send and qmqpd.
	hubPrograms = append(append(append([]string{}, daemontools...), sendPrograms...), "tcpserver", "qmail-qmqpd")
	// A null client: no services, only what injects.
	nullPrograms = []string{"qmail-inject", "qmail-qmqpc"}
)

// host is one machine of the cluster: a network namespace, and a
// single-user quail instance made by quail-setup under dir, whose
// services svscan runs inside the namespace.
type host struct {
	t    *testing.T
	n    *network
	name string // short name: hub, mx1 ...
	fqdn string // name.example.test, its control/me
	ip   string
	ns   string
	dir  string
	home string // the qmail home
	svc  string // its service directory
	logs string
	bin  string
	demo string // the demo user's Maildir ("" for none)

	svscan *exec.Cmd
	done   chan struct{}
}

// newHost makes the namespace and runs quail-setup for it with the
// programs given and the extra options (-n, -q ...).
func newHost(t *testing.T, n *network, name, ip string, programs []string, demo bool, opts ...string) *host {
	t.Helper()
	return newInstance(t, n, n.addHost(name, ip), name, ip, programs, demo, opts...)
}

// newInstance is another quail instance in namespace ns (QMQ's instances
// share a machine), named name, listening on ip.
func newInstance(t *testing.T, n *network, ns, name, ip string, programs []string, demo bool, opts ...string) *host {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	h := &host{t: t, n: n, name: name, fqdn: name + ".example.test", ip: ip, dir: dir, ns: ns,
		home: filepath.Join(dir, "qmail"), svc: filepath.Join(dir, "service"), logs: filepath.Join(dir, "log")}
	h.bin = filepath.Join(dir, "bin")
	if err := os.MkdirAll(h.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range programs {
		if err := os.Symlink(testbin.Path(t, p), filepath.Join(h.bin, p)); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"-u", "-B", "-h", h.fqdn, "-d", h.home, "-s", h.svc, "-l", h.logs, "-b", h.bin, "-i", ip}
	if demo {
		args = append(args, "-D", filepath.Join(dir, "home", "demo"))
		h.demo = filepath.Join(dir, "home", "demo", "Maildir")
	}
	cmd := exec.Command(testbin.Path(t, "quail-setup"), append(args, opts...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("quail-setup for %s: %v\n%s", name, err, out)
	}
	// Every program that looks something up asks the test's DNS server
	// ($DNSCACHEIP, as dnscache's clients do).
	envs, _ := filepath.Glob(filepath.Join(h.svc, "*", "env"))
	for _, e := range envs {
		h.write(filepath.Join(e, "DNSCACHEIP"), bridgeIP+"\n")
	}
	return h
}

func (h *host) write(path, text string) {
	h.t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// control sets a control file.
func (h *host) control(name, text string) { h.write(filepath.Join(h.home, "control", name), text) }

// addControl appends a line to a control file.
func (h *host) addControl(name, line string) {
	h.t.Helper()
	f, err := os.OpenFile(filepath.Join(h.home, "control", name), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = f.WriteString(line + "\n")
		f.Close()
	}
	if err != nil {
		h.t.Fatal(err)
	}
}

// start runs svscan on the host's services inside its namespace.
func (h *host) start() {
	h.t.Helper()
	cmd := h.n.command(h.ns, filepath.Join(h.bin, "svscan"), h.svc)
	cmd.Env = []string{"PATH=" + h.bin + ":/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	h.svscan, h.done = cmd, done
}

// stop takes the services down as svscan does on SIGTERM; whatever is
// left goes with the namespaces at the end of the test.
func (h *host) stop() {
	if h.svscan == nil {
		return
	}
	h.svscan.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		h.t.Errorf("%s: svscan did not stop on SIGTERM", h.name)
	}
	h.svscan = nil
}

// crash kills every process of the host at once (SIGKILL), as a power
// failure would, leaving its files as they are.
func (h *host) crash() {
	h.t.Helper()
	if err := h.n.kill(h.ns); err != nil {
		h.t.Fatal(err)
	}
	<-h.done
	h.svscan = nil
}

// run runs one of the test's programs against the host's qmail home
// (in the test's own namespace: the queue tools use no network).
func (h *host) run(program string, args ...string) string {
	h.t.Helper()
	cmd := exec.Command(testbin.Path(h.t, program), args...)
	cmd.Env = []string{"QMAILHOME=" + h.home, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("%s on %s: %v\n%s", program, h.name, err, out)
	}
	return string(out)
}

var (
	inQueue = regexp.MustCompile(`messages in queue: (\d+)`)
	inTodo  = regexp.MustCompile(`not yet preprocessed: (\d+)`)
)

// queued is the number of messages in the host's queue (qmail-qstat).
func (h *host) queued() int {
	m := inQueue.FindStringSubmatch(h.run("qmail-qstat"))
	if m == nil {
		h.t.Fatalf("qmail-qstat on %s: no count", h.name)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// queueFiles lists the files in the host's queue, for a failure report.
func (h *host) queueFiles() string {
	var b strings.Builder
	root := filepath.Join(h.home, "queue")
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.HasPrefix(p, filepath.Join(root, "lock")) {
			rel, _ := filepath.Rel(root, p)
			fmt.Fprintf(&b, "  %s %d bytes %s\n", rel, fi.Size(), fi.ModTime().Format("15:04:05.000"))
		}
		return nil
	})
	return b.String()
}

// drained says whether the host has nothing left to deliver: qmail-qread
// lists no message and nothing waits in todo/. (A message file without
// envelope or todo entry, which qmail-qstat still counts, is debris that
// qmail-send's cleanup removes; see leftovers.)
func (h *host) drained() bool {
	m := inTodo.FindStringSubmatch(h.run("qmail-qstat"))
	return m != nil && m[1] == "0" && strings.TrimSpace(h.run("qmail-qread")) == ""
}

// flush is what an operator does after an outage so that qmail-send
// retries now instead of at its schedule (the first retry of a remote
// delivery comes 400 s after the message arrived, qmail-send.c's
// chanskip): qmail-tcpok forgets the timeouts qmail-remote recorded, and
// svc -a sends qmail-send SIGALRM.
func (h *host) flush() {
	h.t.Helper()
	h.run("qmail-tcpok")
	h.run("svc", "-a", filepath.Join(h.svc, "qmail-send"))
}

// log is the current log of one of the host's services.
func (h *host) log(service string) string {
	b, _ := os.ReadFile(filepath.Join(h.logs, service, "current"))
	return string(b)
}

// dumpLogs shows the host's logs when the test failed.
func (h *host) dumpLogs() {
	if !h.t.Failed() {
		return
	}
	ents, _ := os.ReadDir(h.logs)
	for _, e := range ents {
		l := h.log(e.Name())
		if len(l) > 6000 {
			l = "..." + l[len(l)-6000:]
		}
		h.t.Logf("%s: log of %s:\n%s", h.name, e.Name(), l)
	}
}

// feeder is a shell loop in a null client's namespace that injects one
// message for each id it reads (qmail-inject, whose qmail-queue is
// qmail-qmqpc) and answers "id exitcode".
type feeder struct {
	h     *host
	cmd   *exec.Cmd
	in    *os.File
	lines chan string
}

const feedScript = `while read id; do
  printf 'From: sender@%s\nTo: demo@example.test\nSubject: cluster %s\nX-Cluster-Id: %s\n\nmessage %s\n' "$HOST" "$id" "$id" "$id" |
    "$QMAILHOME/bin/qmail-inject" -f "sender@$HOST" demo@example.test
  echo "$id $?"
done`

func (h *host) feeder() *feeder {
	h.t.Helper()
	cmd := h.n.command(h.ns, "/bin/sh", "-c", feedScript)
	cmd.Env = []string{"QMAILHOME=" + h.home, "HOST=" + h.fqdn, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w, err := os.Pipe()
	if err != nil {
		h.t.Fatal(err)
	}
	cmd.Stdin = r
	var errs bytes.Buffer
	cmd.Stderr = &errs
	out, err := cmd.StdoutPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	r.Close()
	f := &feeder{h: h, cmd: cmd, in: w, lines: make(chan string, 1)}
	go func() {
		buf := make([]byte, 0, 256)
		one := make([]byte, 1)
		for {
			if _, err := out.Read(one); err != nil {
				close(f.lines)
				return
			}
			if one[0] == '\n' {
				f.lines <- string(buf)
				buf = buf[:0]
				continue
			}
			buf = append(buf, one[0])
		}
	}()
	h.t.Cleanup(func() {
		f.kill()
		cmd.Wait()
		if s := strings.TrimSpace(errs.String()); s != "" {
			h.t.Logf("%s: the injections said:\n%s", h.name, lastLines(s, 20))
		}
	})
	return f
}

// kill ends the loop and the injection under way.
func (f *feeder) kill() {
	f.in.Close()
	syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
}

// inject hands one id to the feeder and returns qmail-inject's exit code.
func (f *feeder) inject(id string) (int, error) {
	if _, err := fmt.Fprintln(f.in, id); err != nil {
		return 0, err
	}
	select {
	case line, ok := <-f.lines:
		if !ok {
			return 0, fmt.Errorf("%s: the injection loop ended", f.h.name)
		}
		got, code, _ := strings.Cut(line, " ")
		n, err := strconv.Atoi(code)
		if got != id || err != nil {
			return 0, fmt.Errorf("%s: answer %q to %s", f.h.name, line, id)
		}
		return n, nil
	case <-time.After(90 * time.Second):
		return 0, fmt.Errorf("%s: no answer for %s in 90 s", f.h.name, id)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = append([]string{fmt.Sprintf("(%d lines before)", len(l)-n)}, l[len(l)-n:]...)
	}
	return strings.Join(l, "\n")
}
