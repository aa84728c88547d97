package smtpd

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/rcpthosts"
	"github.com/quail-mta/quail/mta/recipients"
	"github.com/quail-mta/quail/mta/srs"
	"github.com/quail-mta/quail/mta/throttle"
)

// Config is what qmail-smtpd reads at start: control files and the
// environment tcpserver and its rules set.
type Config struct {
	Me        string        // control/me
	Greeting  string        // control/smtpgreeting, default Me
	LocalHost string        // TCPLOCALHOST, else TCPLOCALIP, else "unknown"
	Databytes int64         // control/databytes or $DATABYTES; 0 = no limit
	Timeout   time.Duration // control/timeoutsmtpd, default 1200 s

	Rcpthosts     *rcpthosts.Hosts // control/rcpthosts and morercpthosts.cdb; nil accepts any recipient
	BadMailFrom   *PatternList     // control/badmailfrom
	MailFromForms MailFromForms    // control/badmailfrom's extended lines
	// LocalIPHost (control/localiphost, default Me) replaces a recipient
	// domain that is an address literal of this host.
	LocalIPHost string
	BadRcptTo   *PatternList // control/badrcptto
	BadHelo     *PatternList // control/badhelo
	// BadMailFromUnknown (control/badmailfromunknown) applies to clients
	// without a reverse DNS name only.
	BadMailFromUnknown *PatternList
	RelayClient        *string // $RELAYCLIENT: set means relaying allowed, value appended to recipients
	MaxRecipients      int     // $MAXRECIPIENTS (Spamcontrol); 0 = no limit
	QueueProgram       string  // $QMAILQUEUE or QMAILHOME/bin/qmail-queue
	StartQueue         Queuer  // nil: qqueue.Start
	RemoteIP           string  // $TCPREMOTEIP
	RemoteHost         string  // $TCPREMOTEHOST or "unknown"
	RemoteInfo         string  // $TCPREMOTEINFO, "" if unset
	LocalIP            string  // $TCPLOCALIP
	MaxCommandLine     int     // longest command line accepted

	Filters Filters // Spamcontrol's envelope checks

	// Recipients are the sources of control/recipients (nil: no check);
	// Recipients450 ($RECIPIENTS450) answers unknown ones with 450.
	Recipients    []recipients.Source
	Recipients450 bool

	// SRS is control/srsdomains: bounces to the SRS addresses made for
	// its domains are checked at RCPT (nil: none).
	SRS *srs.Domains

	TLSMode       TLSMode    // $UCSPITLS
	TLS           TLSStarter // nil: no UCSPI-TLS descriptors
	TLSActive     bool       // TLS was on before the session started (sslserver without -n)
	Auth          AuthMode   // $SMTPAUTH
	CheckPassword []string   // qmail-smtpd's arguments: checkpassword program and its arguments
	// TLSCertRelay ($UCSPITLS "?" or "@") lets a client relay whose
	// certificate sslserver verified; TLSCertLogin ("@") also takes it
	// as logged in by the certificate's address.
	TLSCertRelay, TLSCertLogin bool
	Scanner                    string // the QHPSI scanner, for the log

	// AuthCapable is what the checkpassword program can check when it
	// is one of quail's own (checkpw.Capabilities), 0 when unknown.
	AuthCapable checkpw.Mechanisms
	// Throttle counts failed logins across sessions (nil: none).
	Throttle *throttle.Throttle

	// Warnings are the values of environment variables in none of the
	// forms their checks know, to be logged once (Serve).
	Warnings []string
}

// warn records a warning about the configuration.
func (c *Config) warn(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

// Lookup is an environment lookup, as cli.Invocation.Getenv.
type Lookup func(string) (string, bool)

// LoadConfig reads the control files of the qmail home and the
// environment. A control file that exists but cannot be read is an error
// (qmail-smtpd then answers 421 and exits).
func LoadConfig(home string, env Lookup) (*Config, error) {
	ctl := control.Open(home)
	c := &Config{MaxCommandLine: 4096}
	var err error
	if c.Me, err = ctl.Required("me"); err != nil {
		return nil, err
	}
	g, _, err := ctl.Line("smtpgreeting", c.Me)
	if err != nil {
		return nil, err
	}
	c.Greeting = g
	db, err := ctl.Int("databytes", 0)
	if err != nil {
		return nil, err
	}
	c.Databytes = int64(db)
	if v, ok := env("DATABYTES"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad DATABYTES %q", v)
		}
		c.Databytes = n
	}
	t, err := ctl.Int("timeoutsmtpd", 1200)
	if err != nil {
		return nil, err
	}
	c.Timeout = time.Duration(t) * time.Second
	if c.Rcpthosts, err = rcpthosts.Load(ctl); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		dst  **PatternList
	}{{"badmailfrom", &c.BadMailFrom}, {"badrcptto", &c.BadRcptTo}, {"badhelo", &c.BadHelo}, {"badmailfromunknown", &c.BadMailFromUnknown}} {
		lines, err := ctl.Lines(f.name)
		if err != nil {
			return nil, err
		}
		if f.name == "badmailfrom" {
			lines, c.MailFromForms = splitBadMailFrom(lines)
		}
		*f.dst = NewPatternList(lines)
	}
	if c.LocalIPHost, _, err = ctl.Line("localiphost", c.Me); err != nil {
		return nil, err
	}
	if err := c.loadFilters(ctl, env); err != nil {
		return nil, err
	}
	if c.Recipients, err = recipients.Load(home); err != nil {
		return nil, err
	}
	_, c.Recipients450 = env("RECIPIENTS450")
	if c.SRS, err = srs.LoadDomains(ctl); err != nil {
		return nil, err
	}
	if v, ok := env("RELAYCLIENT"); ok {
		c.RelayClient = &v
	}
	if v, ok := env("MAXRECIPIENTS"); ok && v != "" {
		if c.MaxRecipients, err = strconv.Atoi(v); err != nil || c.MaxRecipients < 0 {
			return nil, fmt.Errorf("bad MAXRECIPIENTS %q", v)
		}
	}
	c.QueueProgram = filepath.Join(home, "bin", "qmail-queue")
	if v, ok := env("QMAILQUEUE"); ok && v != "" {
		c.QueueProgram = v
	}
	c.RemoteIP, _ = env("TCPREMOTEIP")
	c.RemoteHost = "unknown"
	if v, ok := env("TCPREMOTEHOST"); ok && v != "" {
		c.RemoteHost = v
	}
	c.RemoteInfo, _ = env("TCPREMOTEINFO")
	c.LocalIP, _ = env("TCPLOCALIP")
	c.TLSMode, c.TLS, c.TLSActive = tlsFromEnv(env)
	c.tlsCertMode(env)
	if v, ok := env("QHPSI"); ok {
		if f := strings.Fields(v); len(f) > 0 {
			c.Scanner = f[0]
		}
	}
	c.Auth = authModeFromEnv(env, c.warn)
	c.Throttle = throttle.New(home, time.Now)
	c.LocalHost = "unknown"
	if v, ok := env("TCPLOCALHOST"); ok && v != "" {
		c.LocalHost = v
	} else if c.LocalIP != "" {
		c.LocalHost = c.LocalIP
	}
	return c, nil
}

// queuer is what starts the queue program.
func (c *Config) queuer() Queuer {
	if c.StartQueue != nil {
		return c.StartQueue
	}
	return qqueue.Start
}
