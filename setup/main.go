package setup

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
)

const synopsis = "[ -cruB ] [ -d home ] [ -h host ] [ -s servicedir ] [ -l logdir ] [ -b bindir ] [ -D demohome ] [ -i ip ] [ -p service=port ] [ -a admin ] [ -n server,... ] [ -q client,... ] [ -S split ] [ -R root ]"

// Exit codes of quail-setup.
const (
	ExitProblems = 1 // check mode found problems
)

// Main is quail-setup(8).
func Main(inv *cli.Invocation) int {
	c := &Config{
		Home:       qmailhome.Dir(inv.Getenv),
		ServiceDir: "/var/service",
		LogDir:     "/var/log",
		Boot:       true,
		Ports:      map[string]int{},
	}
	if self, err := os.Executable(); err == nil {
		c.BinDir = filepath.Dir(self)
	}
	check, rebuild := false, false
	p := getopt.New(inv.Args, "cruBd:h:s:l:b:D:i:p:a:n:q:S:R:")
	for {
		opt, arg, ok, err := p.Next()
		if err != nil {
			return inv.Usage(synopsis)
		}
		if !ok {
			break
		}
		switch opt {
		case 'c':
			check = true
		case 'r':
			rebuild = true
		case 'u':
			c.SingleUser = true
		case 'B':
			c.Boot = false
		case 'd':
			c.Home = arg
		case 'h':
			c.Host = arg
		case 's':
			c.ServiceDir = arg
		case 'l':
			c.LogDir = arg
		case 'b':
			c.BinDir = arg
		case 'D':
			c.DemoHome = arg
		case 'i':
			c.IP = arg
		case 'p':
			if err := ParsePort(arg, c.Ports); err != nil {
				inv.Warn("-p %s: %v", arg, err)
				return inv.Usage(synopsis)
			}
		case 'a':
			c.Admin = arg
		case 'n':
			c.NullClient = append(c.NullClient, list(arg)...)
		case 'q':
			c.QMQPFrom = append(c.QMQPFrom, list(arg)...)
		case 'S':
			n, err := parseSplit(arg)
			if err != nil {
				return inv.Usage(synopsis)
			}
			c.Split = n
		case 'R':
			c.Root = arg
		}
	}
	if len(p.Rest()) > 0 {
		return inv.Usage(synopsis)
	}
	if c.Host == "" {
		c.Host = hostName()
	}
	switch {
	case check:
		problems, err := Check(c, inv.Stdout)
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to check %s: %v", c.Home, err)
		}
		if problems > 0 {
			return ExitProblems
		}
		return 0
	case rebuild:
		if err := RebuildRules(c, inv.Stdout); err != nil {
			return inv.Fatal(cli.ExitTemporary, "%v", err)
		}
		return 0
	}
	if _, err := Setup(c, inv.Stdout); err != nil {
		if errors.Is(err, ErrNotRoot) {
			return inv.Fatal(cli.ExitPermanent, "%v", err)
		}
		return inv.Fatal(cli.ExitTemporary, "unable to set up %s: %v", c.Home, err)
	}
	return 0
}

func parseSplit(s string) (int, error) {
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' || n > 1000 {
			return 0, errors.New("bad split")
		}
		n = n*10 + int(ch-'0')
	}
	if n < 1 || n > 1000 {
		return 0, errors.New("bad split")
	}
	return n, nil
}
