package remote

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/tcpto"
)

// Main is qmail-remote(8): `qmail-remote host sender recip...` with the
// message on fd 0. Its answer is on fd 1 (see Report); it exits 0
// whatever happened, so that any other exit tells qmail-rspawn it
// crashed.
func Main(inv *cli.Invocation) int {
	// One of up to concurrencyremote processes alive at once: one thread
	// of Go code each is plenty.
	runtime.GOMAXPROCS(1)
	Run(inv, inv.Stdout, os.Getpid())
	return 0
}

// Run is one qmail-remote delivery without a process of its own, for
// qmail-rspawn: the arguments, environment and message (Stdin) of inv,
// the reports written to out. Deliveries may run in many goroutines at
// once; pid stands for the process id a qmail-remote process would have,
// which seeds its choice among equal MX hosts and spreads the retries of
// unresponsive hosts (see tcpto).
func Run(inv *cli.Invocation, out io.Writer, pid int) {
	rep := NewReport(out)
	o := deliver(inv, rep, pid)
	rep.Done(o) // nobody is left to tell when this fails
}

// route is where a message goes: by MX, or to a relay; over SMTP or QMTP.
type route struct {
	relay Relay
	qmtp  bool
	set   bool // a relay host was given
}

// findRoute walks the host's suffixes, asking qmtproutes before
// smtproutes at each, so the more specific line wins whichever file it is
// in.
func findRoute(cfg *Config, host string) (route, error) {
	for _, key := range suffixes(host) {
		for _, f := range []struct {
			routes Routes
			qmtp   bool
		}{{cfg.QMTPRoutes, true}, {cfg.SMTPRoutes, false}} {
			v, ok := f.routes.byKey[key]
			if !ok {
				continue
			}
			rl, err := ParseRelay(v)
			if err != nil {
				return route{}, err
			}
			if f.qmtp {
				rl.User, rl.Pass = "", ""
			}
			return route{relay: rl, qmtp: f.qmtp, set: rl.Host != ""}, nil
		}
	}
	return route{}, nil
}

func deliver(inv *cli.Invocation, rep *Report, pid int) Outcome {
	if len(inv.Args) < 4 {
		return outUsage
	}
	home := qmailhome.Dir(inv.Getenv)
	if st, err := os.Stat(home); err != nil || !st.IsDir() {
		return outHome
	}
	cfg, err := LoadConfig(control.Open(home))
	if err != nil {
		return outControl
	}
	host := inv.Args[1]
	rt, err := findRoute(cfg, lower(host))
	if err != nil {
		return Outcome{Temporary, "Unable to parse the route for " + safe(host) + " in control/smtproutes or control/qmtproutes. (#4.3.0)\n"}
	}
	var env Envelope
	var ok bool
	if env.Sender, ok = WireAddress(inv.Args[2]); !ok {
		return outUsage
	}
	for _, a := range inv.Args[3:] {
		w, ok := WireAddress(a)
		if !ok {
			return outUsage
		}
		env.Recips = append(env.Recips, w)
	}
	msg, err := OpenMessage(inv.Stdin)
	if err != nil {
		return outRead
	}
	if !rt.qmtp && msg.Partial && msg.Size > 0 {
		return outPartialLine
	}
	res, err := dnsclient.FromEnv(inv.Getenv)
	if err != nil {
		return outDNSTemp
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var targets []Target
	var o *Outcome
	// DANE and MTA-STS: for deliveries by MX, as control/tlspolicy says
	// (policy.go).
	var conf Policies
	if !rt.set && !rt.qmtp {
		conf = cfg.Policies.Lookup(host)
	}
	if rt.set {
		targets, o = ResolveRelay(ctx, res, rt.relay.Host)
	} else {
		rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(pid)))
		if conf.DANE {
			targets, o = ResolveMXAD(ctx, res, host, rnd)
		} else {
			targets, o = ResolveMX(ctx, res, host, rnd)
		}
		if o == nil {
			targets, o = dropSelf(targets, IPMe(cfg.MoreIPMe))
		}
	}
	if o != nil {
		return *o
	}
	port := rt.relay.Port
	if port == 0 {
		port = cfg.SMTPPort
		if rt.qmtp {
			port = cfg.DefaultQMTPPort
		}
	}
	policyHost := host
	if rt.set {
		policyHost = rt.relay.Host
	}
	opt := SMTPOptions{
		Helo:    cfg.HeloHost,
		Timeout: cfg.TimeoutRemote,
		TLS:     cfg.TLS.Lookup(policyHost),
		User:    rt.relay.User,
		Pass:    rt.relay.Pass,
	}
	var pl *planner
	if conf.any() {
		pl = newPlanner(ctx, cfg, home, lower(host), conf, res, port)
	}
	for _, t := range targets {
		tab := tcpto.For(home, t.IP)
		if tab.Skip(t.IP, time.Now(), pid) {
			continue
		}
		var kind string
		if pl != nil {
			var skip *Outcome
			if opt.Check, kind, skip = pl.check(t); skip != nil {
				continue
			}
		}
		conn, err := dial(t.IP, port, cfg)
		if err != nil {
			tab.Record(t.IP, isTimeout(err), time.Now())
			continue
		}
		tab.Record(t.IP, false, time.Now())
		ip := t.IP.String()
		if rt.qmtp {
			o := QMTP(conn, ip, cfg.TimeoutRemote, env, msg, rep)
			conn.Close()
			return o
		}
		opt.ServerName = t.Name
		o, err := SMTP(conn, ip, opt, env, msg, rep, false)
		conn.Close()
		if errors.Is(err, errHandshake) {
			// Opportunistic TLS failed: the same server in plain text.
			if conn, err = dial(t.IP, port, cfg); err != nil {
				return Outcome{Temporary, "Connected to " + ip + " but the TLS handshake failed, and it could not be reached again. (#4.4.2)\n"}
			}
			o, _ = SMTP(conn, ip, opt, env, msg, rep, true)
			conn.Close()
		}
		if pl == nil {
			return o
		}
		pl.done(opt.Check, kind, t)
		if opt.Check.Failed {
			pl.fail(o) // before any recipient: the next MX may do
			continue
		}
		return pl.report(o)
	}
	if rt.qmtp {
		return outNoQMTPConn
	}
	if pl != nil {
		if pl.failure != nil {
			return pl.report(*pl.failure)
		}
		return pl.report(outNoConn)
	}
	return outNoConn
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// dial connects within control/timeoutconnect, from control/outgoingip
// when it is of the same family as the target.
func dial(ip netip.Addr, port int, cfg *Config) (net.Conn, error) {
	d := net.Dialer{Timeout: cfg.TimeoutConnect}
	if cfg.OutgoingIP.IsValid() && cfg.OutgoingIP.Is4() == ip.Is4() {
		d.LocalAddr = &net.TCPAddr{IP: cfg.OutgoingIP.AsSlice()}
	}
	return d.Dial("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
}

// isTimeout tells a connection attempt that timed out, the only failure
// the tcpto table remembers.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
