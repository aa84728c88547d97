package usertools

import (
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/srs"
)

// srsDomains reads control/srsdomains of the qmail home.
func srsDomains(inv *cli.Invocation) (*srs.Domains, int, bool) {
	d, err := srs.LoadDomains(control.Open(qmailhome.Dir(inv.Getenv)))
	if err != nil {
		return nil, inv.Fatal(cli.ExitTemporary, "unable to read controls: %v", err), false
	}
	return d, 0, true
}

// SRSForward is s/qmail's srsforward(1): forward(1) with NEWSENDER
// rewritten by the Sender Rewriting Scheme for the domain in HOST, as
// control/srsdomains says. A domain without SRS bounces the message
// (-P, the default) or lets the .qmail file go on (-p: exit 0).
func SRSForward(inv *cli.Invocation) int {
	const synopsis = "[ -pP ] address ..."
	pass := false
	p := getopt.New(inv.Args, "pP")
	for {
		c, _, ok, err := p.Next()
		if err != nil {
			return inv.Usage(synopsis)
		}
		if !ok {
			break
		}
		pass = c == 'p'
	}
	addrs := p.Rest()
	if len(addrs) == 0 {
		return inv.Usage(synopsis)
	}
	env := map[string]string{}
	for _, k := range []string{"NEWSENDER", "DTLINE", "HOST"} {
		v, ok := inv.Getenv(k)
		if !ok {
			return inv.Fatal(cli.ExitPermanent, "%s not set", k)
		}
		env[k] = v
	}
	d, code, ok := srsDomains(inv)
	if !ok {
		return code
	}
	if _, ok := d.Lookup(env["HOST"]); !ok {
		if pass {
			return 0
		}
		return inv.Fatal(cli.ExitPermanent, "unable to rewrite the sender: no SRS for %s in control/srsdomains", env["HOST"])
	}
	sender := d.ForwardSender(env["HOST"], env["NEWSENDER"], time.Now())
	return inject(inv, inv.Stdin, sender, env["DTLINE"], addrs, 0)
}

// SRSReverse is s/qmail's srsreverse(1), run from a .qmail file such as
// ~alias/.qmail-srs-default: the SRS address the message came to ($DEFAULT,
// else the local part of $RECIPIENT) is checked with the secrets of the
// domain in HOST and the message forwarded, with its sender ($SENDER,
// empty for a bounce), to the address it stands for. An SRS address not
// made here, or expired, bounces.
func SRSReverse(inv *cli.Invocation) int {
	if len(inv.Args) > 1 {
		return inv.Usage("")
	}
	env := map[string]string{}
	for _, k := range []string{"SENDER", "DTLINE", "HOST", "RECIPIENT"} {
		v, ok := inv.Getenv(k)
		if !ok {
			return inv.Fatal(cli.ExitPermanent, "%s not set", k)
		}
		env[k] = v
	}
	addr, ok := inv.Getenv("DEFAULT")
	if !ok || !srs.IsSRS(addr) {
		addr = env["RECIPIENT"]
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			addr = addr[:i]
		}
	}
	d, code, ok := srsDomains(inv)
	if !ok {
		return code
	}
	e, ok := d.ForAlias(env["HOST"])
	if !ok {
		return inv.Fatal(cli.ExitPermanent, "unable to reverse %s: %s is no SRS domain of control/srsdomains", addr, env["HOST"])
	}
	to, err := e.Codec().Reverse(addr, time.Now())
	if err != nil {
		return inv.Fatal(cli.ExitPermanent, "unable to reverse %s: %v", addr, err)
	}
	return inject(inv, inv.Stdin, env["SENDER"], env["DTLINE"], []string{to}, 0)
}
