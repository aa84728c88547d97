package smtpd

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/colinmarc/cdb"

	"github.com/quail-mta/quail/mta/checkpw"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/recipients"
)

// Config is what qmail-smtpd reads at start: control files and the
// environment tcpserver and its rules set.
type Config struct {
	Me        string        // control/me
	Greeting  string        // control/smtpgreeting, default Me
	LocalHost string        // TCPLOCALHOST, else TCPLOCALIP, else "unknown"
	Databytes int64         // control/databytes or $DATABYTES; 0 = no limit
	Timeout   time.Duration // control/timeoutsmtpd, default 1200 s

	Rcpthosts     *HostList     // nil: no control/rcpthosts (qmail then accepts any recipient)
	MoreRcpthosts string        // path of control/morercpthosts.cdb, "" if absent
	BadMailFrom   *PatternList  // control/badmailfrom
	MailFromForms MailFromForms // control/badmailfrom's extended lines
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
	hosts, present, err := ctl.List("rcpthosts")
	if err != nil {
		return nil, err
	}
	if present {
		c.Rcpthosts = NewHostList(hosts)
	}
	more := filepath.Join(ctl.Path, "morercpthosts.cdb")
	if db, err := cdb.Open(more); err == nil {
		db.Close()
		c.MoreRcpthosts = more
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("unable to read %s: %w", more, err)
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
	c.LocalHost = "unknown"
	if v, ok := env("TCPLOCALHOST"); ok && v != "" {
		c.LocalHost = v
	} else if c.LocalIP != "" {
		c.LocalHost = c.LocalIP
	}
	return c, nil
}

// HostList is control/rcpthosts: exact domains and ".suffix" entries.
type HostList struct{ m map[string]bool }

// NewHostList builds the list; entries are lowercased.
func NewHostList(lines []string) *HostList {
	h := &HostList{m: make(map[string]bool, len(lines))}
	for _, l := range lines {
		h.m[strings.ToLower(l)] = true
	}
	return h
}

// Has says whether key is listed exactly.
func (h *HostList) Has(key string) bool { return h != nil && h.m[key] }

// domainAllowed is qmail's addrallowed: the domain itself, or any
// ".suffix" of it, in rcpthosts or morercpthosts.cdb.
func (c *Config) domainAllowed(domain string) (bool, error) {
	if c.Rcpthosts == nil && c.MoreRcpthosts == "" {
		return true, nil // qmail-smtpd(8): no rcpthosts, no restriction
	}
	candidates := []string{domain}
	for i := 0; i < len(domain); i++ {
		if domain[i] == '.' {
			candidates = append(candidates, domain[i:])
		}
	}
	for _, k := range candidates {
		if c.Rcpthosts.Has(k) {
			return true, nil
		}
	}
	if c.MoreRcpthosts == "" {
		return false, nil
	}
	db, err := cdb.Open(c.MoreRcpthosts)
	if err != nil {
		return false, err
	}
	defer db.Close()
	for _, k := range candidates {
		v, err := db.Get([]byte(k))
		if err != nil {
			return false, err
		}
		if v != nil {
			return true, nil
		}
	}
	return false, nil
}
