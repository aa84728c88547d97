package setup

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	servicetemplates "github.com/quail-mta/quail/service-templates"
)

// DataLimit is the softlimit -d of every network service.
const DataLimit = "300000000"

// service is one of the directories under service-templates/.
type service struct {
	name     string
	programs []string // what its run script needs in BinDir
	rules    string   // its tcprules file in QMAILHOME/tcp, "" for none
	asRoot   bool     // the server stays root (the checkpassword program switches users)
	env      func(c *Config) map[string]string
}

// rulesText is what each tcprules file starts as: the local host may
// relay by SMTP and QMTP, QMQP (which relays for anyone it accepts) is
// for the local host only, everyone may use the rest. 127.0.0.1 is not
// held to the per-address limit (MaxConIP): a webmail or a monitor on
// the machine itself makes many connections from that one address.
var rulesText = map[string]string{
	"smtp":       "127.0.0.1:allow,RELAYCLIENT=\"\",MAXCONIP=\"0\"\n127.:allow,RELAYCLIENT=\"\"\n:allow\n",
	"qmtp":       "127.0.0.1:allow,RELAYCLIENT=\"\",MAXCONIP=\"0\"\n127.:allow,RELAYCLIENT=\"\"\n:allow\n",
	"qmqp":       "127.0.0.1:allow,MAXCONIP=\"0\"\n:deny\n",
	"submission": "127.0.0.1:allow,MAXCONIP=\"0\"\n:allow\n",
	"pop3":       "127.0.0.1:allow,MAXCONIP=\"0\"\n:allow\n",
}

// MaxConIP is how many connections at once each service takes from one
// client address (tcpserver and sslserver -C, $MAXCONIP in its env/), so
// that one address cannot take all CONCURRENCY places.
const MaxConIP = "10"

// checkProgram is the checkpassword program of POP3 and SMTP AUTH: the
// virtual-user checker in a single-user instance (the demo user), else
// the set-uid checkpassword in the home's bin.
func checkProgram(c *Config) string {
	if c.SingleUser {
		return "checkvpw"
	}
	return filepath.Join(c.Home, "bin", "checkpassword")
}

// pop3TLS is the POP3 service's UCSPITLS: "!", STLS before any password
// (RFC 2595 offers it; passwords in the clear are what guessers and
// sniffers want), except in a single-user instance, which listens on
// loopback and keeps USER/PASS in the clear for its demo examples ("+":
// STLS offered). An administrator who needs the old behaviour writes +
// into env/UCSPITLS.
func pop3TLS(c *Config) string {
	if c.SingleUser {
		return "+"
	}
	return "!"
}

func tlsEnv(c *Config, m map[string]string) map[string]string {
	m["CERTFILE"] = filepath.Join(c.Home, CertFile)
	m["KEYFILE"] = filepath.Join(c.Home, KeyFile)
	m["CHECKPASSWORD"] = checkProgram(c)
	return m
}

var services = []service{
	{name: "qmail-send", programs: []string{"qmail-start", "qmail-send", "qmail-lspawn", "qmail-rspawn", "qmail-clean", "qmail-local", "qmail-queue"},
		env: func(c *Config) map[string]string { return map[string]string{"DEFAULTDELIVERY": "./Maildir/"} }},
	{name: "qmail-smtpd", programs: []string{"tcpserver", "rblsmtpd", "qmail-smtpd", "qmail-queue"}, rules: "smtp",
		env: func(c *Config) map[string]string {
			// Connections go in turn to long-lived rblsmtpd processes
			// that run qmail-smtpd's session themselves (tcpserver(1)).
			return map[string]string{"RBLOPTS": "", "TCPSERVERREUSE": "100"}
		}},
	{name: "smtps", programs: []string{"sslserver", "qmail-smtpd", "qmail-queue"}, rules: "submission",
		env: func(c *Config) map[string]string { return tlsEnv(c, map[string]string{"SMTPAUTH": "!"}) }},
	{name: "submission", programs: []string{"sslserver", "qmail-smtpd", "qmail-queue"}, rules: "submission",
		env: func(c *Config) map[string]string {
			return tlsEnv(c, map[string]string{"SMTPAUTH": "!", "UCSPITLS": "!"})
		}},
	{name: "pop3", programs: []string{"sslserver", "qmail-popup", "qmail-pop3d"}, rules: "pop3", asRoot: true,
		env: func(c *Config) map[string]string {
			return tlsEnv(c, map[string]string{"UCSPITLS": pop3TLS(c), "MAILDIR": "./Maildir/"})
		}},
	{name: "pop3s", programs: []string{"sslserver", "qmail-popup", "qmail-pop3d"}, rules: "pop3", asRoot: true,
		env: func(c *Config) map[string]string { return tlsEnv(c, map[string]string{"MAILDIR": "./Maildir/"}) }},
	{name: "qmtpd", programs: []string{"tcpserver", "qmail-qmtpd", "qmail-queue"}, rules: "qmtp",
		env: func(c *Config) map[string]string { return map[string]string{} }},
	{name: "qmqpd", programs: []string{"tcpserver", "qmail-qmqpd", "qmail-queue"}, rules: "qmqp",
		env: func(c *Config) map[string]string { return map[string]string{} }},
}

// commonPrograms are what every run and log/run script uses.
var commonPrograms = []string{"envdir", "softlimit", "multilog", "setuidgid", "svscan", "supervise"}

// missing returns the first program of s not in BinDir.
func (c *Config) missing(s service) string {
	progs := append(append([]string{}, commonPrograms...), s.programs...)
	if e := s.env(c); e["CHECKPASSWORD"] != "" {
		progs = append(progs, filepath.Base(e["CHECKPASSWORD"]))
	}
	for _, p := range progs {
		if fi, err := os.Stat(filepath.Join(c.BinDir, p)); err != nil || fi.Mode()&0o111 == 0 {
			return p
		}
	}
	return ""
}

// serviceEnv is the ./env directory of s: its own variables and those
// every service shares.
func (c *Config) serviceEnv(s service, d ids) map[string]string {
	m := s.env(c)
	m["PATH"] = c.BinDir + ":/usr/local/bin:/usr/bin:/bin"
	m["QMAILHOME"] = c.Home
	m["LOGDIR"] = filepath.Join(c.LogDir, s.name)
	m["LOGUSER"] = ""
	if !c.SingleUser {
		m["LOGUSER"] = "qmaill"
	}
	if s.rules == "" {
		return m
	}
	m["IP"] = c.IP
	m["PORT"] = strconv.Itoa(c.Ports[s.name])
	m["LOCALNAME"] = c.Host
	m["RULES"] = filepath.Join(c.Home, "tcp", s.rules+".cdb")
	m["CONCURRENCY"] = "40"
	m["MAXCONIP"] = MaxConIP
	// A data limit still protects the machine from a runaway session, but
	// Go programs need about 50 MB to start at all, and a build with cgo
	// counts 8 MB for each thread's stack, so the classic 2 MB is out.
	m["DATALIMIT"] = DataLimit
	m["SERVEROPTS"] = "-vHR"
	m["QMAILDUID"], m["NOFILESGID"] = "", ""
	if !c.SingleUser && !s.asRoot {
		m["QMAILDUID"] = strconv.Itoa(d.uid["qmaild"])
		m["NOFILESGID"] = strconv.Itoa(d.gid["nofiles"])
	}
	return m
}

// services installs each service whose programs are all present. A new
// service directory is built under a dot-name and renamed into place, so
// svscan never starts a half-made service; in an existing one only
// missing files are added.
func (in *installer) services(o owners, d ids) ([]string, error) {
	c := in.cfg
	if len(c.NullClient) > 0 {
		in.say("null client of %s: no services", strings.Join(c.NullClient, ", "))
		return nil, nil
	}
	if err := in.dir(c.path(c.ServiceDir), 0o755, self); err != nil {
		return nil, err
	}
	var installed []string
	for _, s := range services {
		if p := c.missing(s); p != "" {
			in.say("skipped service %s: %s is not in %s", s.name, p, c.BinDir)
			continue
		}
		// The log directory and the rules come first: svscan may start
		// the service the moment its directory appears.
		if err := in.dir(c.path(c.LogDir, s.name), 0o750, o.log); err != nil {
			return nil, err
		}
		if s.rules != "" {
			if err := in.rules(s.rules, o, false); err != nil {
				return nil, err
			}
		}
		final := c.path(c.ServiceDir, s.name)
		if exists(final) {
			before := in.changes
			if err := in.serviceDir(s, final, d); err != nil {
				return nil, err
			}
			if in.changes == before {
				in.kept(final)
			}
		} else {
			// Built silently under a dot-name: the rename is the change.
			tmp := c.path(c.ServiceDir, "."+s.name+".new")
			os.RemoveAll(tmp)
			before := in.changes
			in.silent = true
			err := in.serviceDir(s, tmp, d)
			in.silent = false
			in.changes = before
			if err == nil {
				err = os.Rename(tmp, final)
			}
			if err != nil {
				return nil, err
			}
			in.created(final)
		}
		installed = append(installed, s.name)
	}
	return installed, nil
}

func (in *installer) serviceDir(s service, dir string, d ids) error {
	c := in.cfg
	for _, sub := range []string{"", "log", "env"} {
		if err := in.dir(filepath.Join(dir, sub), 0o755, self); err != nil {
			return err
		}
	}
	for _, script := range []string{"run", "log/run"} {
		b, err := fs.ReadFile(servicetemplates.FS, s.name+"/"+script)
		if err != nil {
			return err
		}
		if err := in.fileQuiet(filepath.Join(dir, script), string(b), 0o755, self, false); err != nil {
			return err
		}
	}
	env := c.serviceEnv(s, d)
	for _, k := range sortedKeys(env) {
		v := env[k]
		if v != "" {
			v += "\n"
		}
		if err := in.fileQuiet(filepath.Join(dir, "env", k), v, 0o644, self, false); err != nil {
			return err
		}
	}
	return nil
}

// rules writes a tcprules file when missing and compiles it when its cdb
// is missing or older (or always, when force is set: quail-setup -r).
func (in *installer) rules(name string, o owners, force bool) error {
	src := in.cfg.homePath("tcp", name)
	text := rulesText[name]
	if name == "qmqp" && len(in.cfg.QMQPFrom) > 0 {
		// A QMQP hub: its null clients too (qmail-qmqpd relays for
		// whoever may connect).
		var b strings.Builder
		b.WriteString("127.0.0.1:allow\n")
		for _, a := range in.cfg.QMQPFrom {
			b.WriteString(a + ":allow\n")
		}
		b.WriteString(":deny\n")
		text = b.String()
	}
	if err := in.fileQuiet(src, text, 0o644, o.root, false); err != nil {
		return err
	}
	dst := src + ".cdb"
	if !force && !stale(src, dst) {
		return nil
	}
	if err := compileRules(src, dst); err != nil {
		return fmt.Errorf("unable to compile %s: %w", in.show(src), err)
	}
	if err := setOwner(dst, 0o644, o.root); err != nil {
		return err
	}
	in.changes++
	in.say("compiled %s", in.show(dst))
	return nil
}
