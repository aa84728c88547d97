// Package postfix runs a private Postfix instance for the mail
// benchmarks: its own config_directory (main.cf and master.cf written
// here), queue_directory and data_directory under a temporary directory,
// started with `postfix -c DIR start` and stopped with `postfix -c DIR
// stop` (postfix(1), master(5), postconf(5)). It never touches
// /etc/postfix or the system's queue.
//
// The instance listens only where asked: smtpd(8) on 127.0.0.1 and a free
// port, named in master.cf. Every message for any address at localhost is
// delivered by virtual(8) into one Maildir, as uid and gid 65534
// (nobody); virtual delivery needs no user in /etc/passwd, so nothing on
// the machine outside the temporary directory changes. Postfix's daemons
// run unchrooted, as mail_owner postfix (the user Debian's package made).
// Logging goes to a file through postlogd(8) (maillog_file), since there
// may be no syslog daemon.
//
// Starting an instance needs root and Debian's postfix package;
// Available says why one cannot be started.
package postfix

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/netwait"
	"github.com/quail-mta/quail/bench/internal/proc"
)

// Command is Postfix's control program.
const Command = "/usr/sbin/postfix"

// deliveryUID owns the Maildir and runs virtual(8)'s deliveries: nobody.
const deliveryUID = 65534

// Available returns nil when a private instance can be started here, or
// why not.
func Available() error {
	if os.Getuid() != 0 {
		return errors.New("a private Postfix instance needs root (its daemons change to mail_owner)")
	}
	if _, err := os.Stat(Command); err != nil {
		return fmt.Errorf("Postfix is not installed: %w", err)
	}
	for _, d := range []string{"/usr/lib/postfix/sbin/master", "/usr/lib/postfix/sbin/smtpd", "/usr/lib/postfix/sbin/virtual"} {
		if _, err := os.Stat(d); err != nil {
			return fmt.Errorf("Postfix daemon missing: %w", err)
		}
	}
	return nil
}

// Options shape an instance.
type Options struct {
	// SMTPD makes smtpd(8) listen on 127.0.0.1 and a free port.
	SMTPD bool
	// SMTPDProcesses is smtpd's process limit in master.cf, the number of
	// concurrent sessions; 0 means 100, Postfix's default_process_limit.
	SMTPDProcesses int
	// Main holds further main.cf settings, which win over ours.
	Main map[string]string
}

// Instance is a running private Postfix.
type Instance struct {
	Dir       string // everything lives below
	ConfigDir string // main.cf, master.cf
	QueueDir  string
	Maildir   string // the Maildir every delivery goes to; new/ below it
	Addr      string // smtpd's host:port, when Options.SMTPD
	Recipient string // an address that is delivered to Maildir
	Log       string // maillog_file
	stopped   bool
}

// Start sets up an instance in dir (which must exist, be owned by root and
// be reachable by the postfix and nobody users) and starts it.
func Start(dir string, o Options) (*Instance, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	in := &Instance{
		Dir:       dir,
		ConfigDir: filepath.Join(dir, "conf"),
		QueueDir:  filepath.Join(dir, "queue"),
		Maildir:   filepath.Join(dir, "vmail", "bench", "Maildir"),
		Recipient: "bench@localhost",
		Log:       filepath.Join(dir, "maillog"),
	}
	data := filepath.Join(dir, "data")
	for _, d := range []string{in.ConfigDir, in.QueueDir, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	for _, sub := range []string{"", "new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(in.Maildir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	if err := chownTree(filepath.Join(dir, "vmail"), deliveryUID, deliveryUID); err != nil {
		return nil, err
	}
	// data_directory belongs to mail_owner.
	if out, err := exec.Command("chown", "postfix", data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("chown postfix %s: %v %s", data, err, out)
	}
	if o.SMTPD {
		port, err := netwait.FreePort()
		if err != nil {
			return nil, err
		}
		in.Addr = "127.0.0.1:" + strconv.Itoa(port)
	}
	if err := os.WriteFile(filepath.Join(in.ConfigDir, "main.cf"), []byte(mainCF(in, data, o)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(in.ConfigDir, "master.cf"), []byte(masterCF(in, o)), 0o644); err != nil {
		return nil, err
	}
	if out, err := in.postfix("start"); err != nil {
		in.Stop()
		return nil, fmt.Errorf("postfix start: %v %s%s", err, out, in.logTail())
	}
	if in.Addr != "" {
		if err := netwait.Listening(in.Addr, 20*time.Second); err != nil {
			in.Stop()
			return nil, fmt.Errorf("smtpd not listening: %v%s", err, in.logTail())
		}
	}
	return in, nil
}

// mainCF is the instance's main.cf: paths, identity, loopback only, and
// virtual delivery of the domain localhost to one Maildir. The limits
// that would throttle one busy client on loopback are lifted; everything
// else keeps Postfix's defaults (among them in_flow_delay, which slows
// smtpd down when the queue manager falls behind).
func mainCF(in *Instance, data string, o Options) string {
	set := [][2]string{
		{"compatibility_level", "3.6"},
		{"config_directory", in.ConfigDir},
		{"queue_directory", in.QueueDir},
		{"data_directory", data},
		{"command_directory", "/usr/sbin"},
		{"daemon_directory", "/usr/lib/postfix/sbin"},
		{"meta_directory", "/etc/postfix"},
		{"shlib_directory", "/usr/lib/postfix"},
		{"mail_owner", "postfix"},
		{"setgid_group", "postdrop"},
		{"myhostname", "localhost"},
		{"mydomain", "localdomain"},
		{"myorigin", "localhost"},
		{"mydestination", ""},
		{"inet_interfaces", "127.0.0.1"},
		{"inet_protocols", "ipv4"},
		{"mynetworks", "127.0.0.0/8"},
		{"relayhost", ""},
		{"alias_maps", ""},
		{"alias_database", ""},
		{"local_recipient_maps", ""},
		{"biff", "no"},
		{"smtpd_client_connection_count_limit", "0"},
		{"smtpd_client_connection_rate_limit", "0"},
		{"smtpd_client_message_rate_limit", "0"},
		{"virtual_mailbox_domains", "localhost"},
		{"virtual_mailbox_base", filepath.Join(in.Dir, "vmail")},
		{"virtual_mailbox_maps", "static:bench/Maildir/"},
		{"virtual_uid_maps", "static:" + strconv.Itoa(deliveryUID)},
		{"virtual_gid_maps", "static:" + strconv.Itoa(deliveryUID)},
		{"virtual_minimum_uid", "100"},
		{"maillog_file", in.Log},
		{"maillog_file_prefixes", in.Dir},
	}
	var b strings.Builder
	b.WriteString("# A private benchmark instance; see bench/internal/postfix.\n")
	for _, kv := range set {
		if _, over := o.Main[kv[0]]; over {
			continue
		}
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	for k, v := range o.Main {
		fmt.Fprintf(&b, "%s = %s\n", k, v)
	}
	return b.String()
}

// masterCF lists the services a local-delivery-only instance uses, none
// chrooted (a chroot would need copies of /etc files in the queue).
func masterCF(in *Instance, o Options) string {
	var b strings.Builder
	b.WriteString("# service type private unpriv chroot wakeup maxproc command\n")
	if in.Addr != "" {
		n := o.SMTPDProcesses
		if n <= 0 {
			n = 100
		}
		fmt.Fprintf(&b, "%s inet n - n - %d smtpd\n", in.Addr, n)
	}
	for _, l := range []string{
		"pickup unix n - n 60 1 pickup",
		"cleanup unix n - n - 0 cleanup",
		"qmgr unix n - n 300 1 qmgr",
		"rewrite unix - - n - - trivial-rewrite",
		"bounce unix - - n - 0 bounce",
		"defer unix - - n - 0 bounce",
		"trace unix - - n - 0 bounce",
		"verify unix - - n - 1 verify",
		"flush unix n - n 1000? 0 flush",
		"proxymap unix - - n - - proxymap",
		"proxywrite unix - - n - 1 proxymap",
		"smtp unix - - n - - smtp",
		"relay unix - - n - - smtp",
		"showq unix n - n - - showq",
		"error unix - - n - - error",
		"retry unix - - n - - error",
		"discard unix - - n - - discard",
		"local unix - n n - - local",
		"virtual unix - n n - - virtual",
		"lmtp unix - - n - - lmtp",
		"anvil unix - - n - 1 anvil",
		"scache unix - - n - 1 scache",
		"postlog unix-dgram n - n - 1 postlogd",
	} {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func (in *Instance) postfix(verb string) ([]byte, error) {
	cmd := exec.Command(Command, "-c", in.ConfigDir, verb)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	return cmd.CombinedOutput()
}

// MasterPID reads master(8)'s pid file; 0 when there is none.
func (in *Instance) MasterPID() int {
	b, err := os.ReadFile(filepath.Join(in.QueueDir, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Stop runs `postfix stop`, waits for master(8) and its children to go,
// and kills whatever is left after 20 seconds. It may be called twice.
func (in *Instance) Stop() {
	if in.stopped {
		return
	}
	in.stopped = true
	master := in.MasterPID()
	var family []proc.Stat
	if master > 0 {
		family, _ = proc.Descendants(master)
	}
	in.postfix("stop")
	if master <= 0 {
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for alive(master) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(master) {
		syscall.Kill(master, syscall.SIGKILL)
	}
	// Children the master left behind are adopted by init: a survivor is
	// the same command under its old parent or under pid 1.
	same := func(p proc.Stat) bool {
		s, err := proc.ReadStat(p.PID)
		return err == nil && s.Comm == p.Comm && (s.PPID == p.PPID || s.PPID == 1)
	}
	for _, p := range family {
		if same(p) {
			syscall.Kill(p.PID, syscall.SIGKILL)
		}
	}
	for _, p := range family {
		for deadline := time.Now().Add(5 * time.Second); alive(p.PID) && same(p) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func (in *Instance) logTail() string {
	b, err := os.ReadFile(in.Log)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nmaillog:\n" + string(b)
}

// LogTail is logTail for callers reporting a failed measurement.
func (in *Instance) LogTail() string { return in.logTail() }

// alive says whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	return err == nil && !strings.Contains(string(b), "State:\tZ")
}

func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}
