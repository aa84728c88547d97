package setup

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/mta/qmqp"
)

// Config is one run of quail-setup.
type Config struct {
	Root       string         // prefix for every path written ("" is /)
	Home       string         // the qmail home, e.g. /var/qmail
	Host       string         // the host name control/me gets
	ServiceDir string         // where service directories go, /var/service
	LogDir     string         // parent of each service's log directory, /var/log
	BinDir     string         // where the quail programs are
	SingleUser bool           // everything owned by and run as the invoker
	DemoHome   string         // single-user: home of the demo user ("" none)
	IP         string         // address the services listen on
	Ports      map[string]int // service name -> port
	Admin      string         // where postmaster, mailer-daemon and root go
	Boot       bool           // install a way to start svscan at boot
	Split      int            // the queue's split
	NullClient []string       // QMQP servers: a null client of these (-n)
	QMQPFrom   []string       // tcprules addresses the qmqpd rules admit besides 127.0.0.1 (-q)
}

// Service ports of the privileged installation and of make run.
var (
	StandardPorts = map[string]int{"qmail-smtpd": 25, "smtps": 465, "submission": 587,
		"pop3": 110, "pop3s": 995, "qmtpd": 209, "qmqpd": 628}
	RunPorts = map[string]int{"qmail-smtpd": 2525, "smtps": 4465, "submission": 5587,
		"pop3": 1110, "pop3s": 1995, "qmtpd": 2209, "qmqpd": 6628}
)

// path is p under the root prefix.
func (c *Config) path(p ...string) string {
	return filepath.Join(append([]string{c.Root, "/"}, p...)...)
}

// homePath is a file of the qmail home under the root prefix.
func (c *Config) homePath(p ...string) string {
	return c.path(append([]string{c.Home}, p...)...)
}

// ParsePort reads one -p argument, service=port.
func ParsePort(s string, ports map[string]int) error {
	name, num, ok := strings.Cut(s, "=")
	if _, known := StandardPorts[name]; !ok || !known {
		return fmt.Errorf("want service=port with service one of %s", strings.Join(serviceNames(), ", "))
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q", num)
	}
	ports[name] = n
	return nil
}

func serviceNames() []string {
	var out []string
	for n := range StandardPorts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// validate fills defaults and refuses what cannot work.
func (c *Config) validate() error {
	for _, p := range []*string{&c.Home, &c.ServiceDir, &c.LogDir, &c.BinDir, &c.DemoHome} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if c.Root != "" {
		abs, err := filepath.Abs(c.Root)
		if err != nil {
			return err
		}
		c.Root = abs
	}
	if c.Host == "" || strings.ContainsAny(c.Host, " \t\n/:") {
		return fmt.Errorf("bad host name %q", c.Host)
	}
	if c.DemoHome != "" && !c.SingleUser {
		return fmt.Errorf("a demo user belongs to a single-user instance (-u)")
	}
	for _, srv := range c.NullClient {
		if _, ok := qmqp.ParseServer(srv); !ok {
			return fmt.Errorf("bad QMQP server %q: want an IP address, or IP:port", srv)
		}
	}
	for _, a := range c.QMQPFrom {
		if a == "" || strings.ContainsAny(a, ":,# \t\n") {
			return fmt.Errorf("bad QMQP client address %q: want a tcprules address such as 198.18. or 10.0.0.5", a)
		}
	}
	if c.Split == 0 {
		c.Split = 23
	}
	if c.IP == "" {
		c.IP = "0"
		if c.SingleUser {
			c.IP = "127.0.0.1"
		}
	}
	if c.Ports == nil {
		c.Ports = map[string]int{}
	}
	for n, p := range StandardPorts {
		if _, ok := c.Ports[n]; !ok {
			c.Ports[n] = p
		}
	}
	return nil
}

// defaultDomain is config-fast's: the host name without its first label.
func defaultDomain(host string) string {
	if _, rest, ok := strings.Cut(host, "."); ok && rest != "" {
		return rest
	}
	return host
}

// hostName guesses the fully qualified host name.
func hostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	if !strings.Contains(h, ".") {
		if b, err := os.ReadFile("/etc/mailname"); err == nil {
			if m := strings.TrimSpace(string(b)); m != "" {
				return m
			}
		}
	}
	return h
}

// nullClient says whether the instance is a QMQP null client: -n given,
// or bin/qmail-queue already a link to qmail-qmqpc.
func (c *Config) nullClient() bool {
	if len(c.NullClient) > 0 {
		return true
	}
	target, err := os.Readlink(c.homePath("bin", "qmail-queue"))
	return err == nil && filepath.Base(target) == "qmail-qmqpc"
}

// list splits a comma-separated option argument.
func list(arg string) []string {
	var out []string
	for _, f := range strings.Split(arg, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
