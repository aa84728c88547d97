package send

import (
	"strings"
	"time"

	"github.com/quail-mta/quail/mta/control"
)

// Config is what qmail-send reads from the control directory at start
// and on SIGHUP (qmail-send(8), qmail-control(5)).
type Config struct {
	Me               string
	Router           Router
	Concurrency      [2]int
	Lifetime         time.Duration
	BounceFrom       string
	BounceHost       string
	DoubleBounceTo   string
	DoubleBounceHost string
	// BounceMaxBytes is how much of a message its bounce quotes;
	// negative: all of it (control/bouncemaxbytes absent).
	BounceMaxBytes int64
}

// MaxConcurrency is the most deliveries one channel runs at once: what
// the FreeBSD port's qmail allows (conf-spawn up to FD_SETSIZE/2 - 3,
// 509 with FD_SETSIZE 1024), where qmail 1.03's conf-spawn is 120.
const MaxConcurrency = 509

func lowerSet(lines []string) map[string]bool {
	m := make(map[string]bool, len(lines))
	for _, l := range lines {
		m[strings.ToLower(l)] = true
	}
	return m
}

// ControlError is a control file ReadConfig could not read.
type ControlError struct {
	Name string // "control/locals"
	Err  error
}

func (e *ControlError) Error() string { return e.Err.Error() }
func (e *ControlError) Unwrap() error { return e.Err }

// ReadConfig reads qmail-send's control files with their defaults:
// control/me is required; locals defaults to me; concurrencylocal 10,
// concurrencyremote 20 (at most MaxConcurrency); queuelifetime 604800
// seconds; bouncefrom MAILER-DAEMON; bouncehost, doublebouncehost and
// envnoathost default to me; doublebounceto to postmaster;
// bouncemaxbytes, the patch sets' limit on what a bounce quotes of the
// message, to none, as qmail 1.03 quotes it all.
func ReadConfig(home string) (*Config, error) {
	c, name, err := readConfig(home)
	if err != nil {
		return nil, &ControlError{Name: "control/" + name, Err: err}
	}
	return c, nil
}

// readConfig is ReadConfig that names the file it could not read.
func readConfig(home string) (*Config, string, error) {
	d := control.Open(home)
	me, err := d.Required("me")
	if err != nil {
		return nil, "me", err
	}
	c := &Config{Me: me}
	locals, err := d.Lines("locals")
	if err != nil {
		return nil, "locals", err
	}
	if locals == nil {
		locals = []string{me}
	}
	ph, err := d.Lines("percenthack")
	if err != nil {
		return nil, "percenthack", err
	}
	vd, err := d.Lines("virtualdomains")
	if err != nil {
		return nil, "virtualdomains", err
	}
	c.Router = Router{Locals: lowerSet(locals), Percenthack: lowerSet(ph), Virtual: ParseVirtualDomains(vd)}
	for _, s := range []struct {
		p    *string
		name string
		def  string
	}{
		{&c.Router.NoAtHost, "envnoathost", me},
		{&c.BounceFrom, "bouncefrom", "MAILER-DAEMON"},
		{&c.BounceHost, "bouncehost", me},
		{&c.DoubleBounceTo, "doublebounceto", "postmaster"},
		{&c.DoubleBounceHost, "doublebouncehost", me},
	} {
		if *s.p, _, err = d.Line(s.name, s.def); err != nil {
			return nil, s.name, err
		}
	}
	for ch, s := range []struct {
		name string
		def  int
	}{{"concurrencylocal", 10}, {"concurrencyremote", 20}} {
		n, err := d.Int(s.name, s.def)
		if err != nil {
			return nil, s.name, err
		}
		c.Concurrency[ch] = min(max(n, 0), MaxConcurrency)
	}
	life, err := d.Int("queuelifetime", 604800)
	if err != nil {
		return nil, "queuelifetime", err
	}
	c.Lifetime = time.Duration(life) * time.Second
	maxb, err := d.Int("bouncemaxbytes", -1)
	if err != nil {
		return nil, "bouncemaxbytes", err
	}
	c.BounceMaxBytes = int64(maxb)
	return c, "", nil
}
