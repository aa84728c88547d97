// Package quail builds and runs a single-user quail instance for the mail
// benchmarks, the way the end-to-end tests in e2e build theirs: a qmail
// home under a temporary directory with its own queue, control files
// (me, locals, rcpthosts, singleuser) and users/cdb, the programs linked
// into its bin directory, qmail-start delivering with ./Maildir/ as the
// default, and tcpserver with qmail-smtpd on 127.0.0.1 and a port the
// kernel picks. Every address at localhost is delivered by qmail-local
// into one Maildir owned by the invoking user.
package quail

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quail-mta/quail/mta/maildir"
	"github.com/quail-mta/quail/mta/queue"
	"github.com/quail-mta/quail/mta/users"
)

// programs an instance links into its bin directory.
var programs = []string{
	"qmail-queue", "qmail-send", "qmail-start", "qmail-lspawn", "qmail-rspawn",
	"qmail-clean", "qmail-local", "qmail-remote", "qmail-smtpd", "tcpserver",
	"rblsmtpd", "preline", "forward",
}

// Instance is a running single-user quail.
type Instance struct {
	Home      string // QMAILHOME
	Bin       string // the programs, linked from the build
	Maildir   string // every delivery lands in new/ below it
	Recipient string // an address delivered to Maildir
	Env       []string
	Log       string // qmail-send's log
	send      *exec.Cmd
	logFile   *os.File
	servers   []*Server
}

// Start builds an instance in dir with the programs found in bin and
// starts qmail-start.
func Start(dir, bin string) (*Instance, error) {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	for _, p := range programs {
		if _, err := os.Stat(filepath.Join(bin, p)); err != nil {
			return nil, fmt.Errorf("quail's %s is not built (make build): %w", p, err)
		}
	}
	home := filepath.Join(dir, "qmail")
	user := filepath.Join(dir, "user")
	in := &Instance{
		Home:      home,
		Bin:       filepath.Join(home, "bin"),
		Maildir:   filepath.Join(user, "Maildir"),
		Recipient: "bench@localhost",
		Log:       filepath.Join(dir, "qmail-send.log"),
	}
	for _, d := range []string{in.Bin, filepath.Join(home, "control"), filepath.Join(home, "users"), filepath.Join(home, "alias"), user} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	for _, p := range programs {
		if err := os.Symlink(filepath.Join(bin, p), filepath.Join(in.Bin, p)); err != nil {
			return nil, err
		}
	}
	control := map[string]string{
		"me":         "localhost",
		"locals":     "localhost",
		"rcpthosts":  "localhost",
		"singleuser": "",
	}
	for name, body := range control {
		if err := os.WriteFile(filepath.Join(home, "control", name), []byte(body+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	if _, err := queue.Create(home, queue.DefaultSplit, queue.Self); err != nil {
		return nil, err
	}
	if err := maildir.Create(in.Maildir); err != nil {
		return nil, err
	}
	// One wildcard assignment: every local address is the invoking user.
	assign := fmt.Sprintf("+:bench:%d:%d:%s:::\n.\n", os.Getuid(), os.Getgid(), user)
	entries, err := users.ParseAssign([]byte(assign))
	if err != nil {
		return nil, err
	}
	if err := users.WriteCDB(filepath.Join(home, "users", "cdb"), entries); err != nil {
		return nil, err
	}
	// Nothing in a benchmark may ask the machine's resolver, which
	// need not be on loopback: DNS questions go to a port where nobody
	// answers.
	in.Env = []string{"QMAILHOME=" + home, "PATH=" + in.Bin + ":/usr/bin:/bin", "DNSCACHEIP=127.0.0.1:1"}
	if in.logFile, err = os.Create(in.Log); err != nil {
		return nil, err
	}
	in.send = exec.Command(filepath.Join(in.Bin, "qmail-start"), "./Maildir/")
	in.send.Env = in.Env
	in.send.Dir = "/"
	in.send.Stdout, in.send.Stderr = in.logFile, in.logFile
	in.send.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := in.send.Start(); err != nil {
		in.logFile.Close()
		return nil, err
	}
	return in, nil
}

// Server is tcpserver running an SMTP chain for an instance.
type Server struct {
	Addr string // 127.0.0.1:port
	Cmd  *exec.Cmd
	Log  string
}

// SMTPD starts tcpserver on 127.0.0.1 and a free port with at most
// sessions concurrent children running chain (qmail-smtpd, or for
// instance rblsmtpd qmail-smtpd), with env added to the instance's
// environment.
func (in *Instance) SMTPD(sessions int, env []string, chain ...string) (*Server, error) {
	if len(chain) == 0 {
		chain = []string{"qmail-smtpd"}
	}
	argv := append([]string{"-1", "-R", "-H", "-l", "localhost", "-c", strconv.Itoa(sessions), "-b", "1024", "127.0.0.1", "0"}, chain...)
	cmd := exec.Command(filepath.Join(in.Bin, "tcpserver"), argv...)
	cmd.Env = append(append([]string{}, in.Env...), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s := &Server{Cmd: cmd, Log: filepath.Join(filepath.Dir(in.Log), fmt.Sprintf("tcpserver%d.log", len(in.servers)))}
	logf, err := os.Create(s.Log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in.servers = append(in.servers, s)
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		port <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case p := <-port:
		if p == "" {
			return nil, fmt.Errorf("tcpserver printed no port; see %s", s.Log)
		}
		s.Addr = "127.0.0.1:" + p
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("tcpserver printed no port in 10 s; see %s", s.Log)
	}
	return s, nil
}

// Stop ends a server and every session it runs.
func (s *Server) Stop() {
	if s.Cmd.Process == nil || s.Cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGKILL)
	s.Cmd.Wait()
}

// Stop ends the servers, then qmail-send (SIGTERM, as svc -d would), and
// kills what is left of qmail-send's group after 20 seconds.
func (in *Instance) Stop() {
	for _, s := range in.servers {
		s.Stop()
	}
	in.servers = nil
	if in.send == nil {
		return
	}
	in.send.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { in.send.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-in.send.Process.Pid, syscall.SIGKILL)
		<-done
	}
	syscall.Kill(-in.send.Process.Pid, syscall.SIGKILL)
	in.send = nil
	in.logFile.Close()
}

// SendPID is the pid qmail-start was started as, which becomes
// qmail-send; the other daemons are its children.
func (in *Instance) SendPID() int {
	if in.send == nil || in.send.Process == nil {
		return 0
	}
	return in.send.Process.Pid
}

// QueueEmpty says whether no message is left in the queue.
func (in *Instance) QueueEmpty() bool {
	empty := true
	filepath.Walk(filepath.Join(in.Home, "queue", "mess"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			empty = false
			return filepath.SkipAll
		}
		return nil
	})
	return empty
}
