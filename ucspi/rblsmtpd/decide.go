package rblsmtpd

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/quail-mta/quail/dnsclient"
)

// outcome is where the decision stands.
type outcome int

const (
	undecided outcome = iota
	accepted
	rejected // temporary: 451
	bounced  // permanent: 553
)

// Reply codes of a blocked session.
const (
	codeTemporary = 451
	codePermanent = 553
)

// lookupTimeout bounds each DNSBL lookup.
const lookupTimeout = 30 * time.Second

// failText is the text of a fail-closed (-c) temporary lookup error.
const failText = "temporary RBL lookup error"

// resolver is what the lists need from DNS.
type resolver interface {
	TXT(ctx context.Context, name string) ([]string, error)
	A(ctx context.Context, name string) ([]netip.Addr, error)
}

// decider carries 0.88's state from one option to the next.
type decider struct {
	resolve func() (resolver, error) // made on first use: no lookup, no config read
	reverse string                   // the client's reversed address; "" when unknown

	state         outcome
	text          string
	rblBounce     bool // -b: a listing is permanent
	failClosed    bool // -c: a temporary DNS failure blocks
	mustNotBounce bool // a lookup failed temporarily: never answer 553
}

// newDecider prepares the lookups for the address ip ($TCPREMOTEIP). An
// address that does not parse leaves nothing to look up.
func newDecider(ip string, resolve func() (resolver, error)) *decider {
	d := &decider{resolve: resolve}
	if a, err := netip.ParseAddr(ip); err == nil {
		d.reverse = dnsclient.Reverse(a)
	}
	return d
}

// environment applies $RBLSMTPD, which comes before every option.
func (d *decider) environment(v string) {
	switch {
	case v == "":
		d.state = accepted
	case v[0] == '-':
		d.state, d.text = bounced, v[1:]
	default:
		d.state, d.text = rejected, v
	}
}

// rbl is -r base.
func (d *decider) rbl(base string) error {
	if d.state != undecided || d.reverse == "" {
		return nil
	}
	r, err := d.resolve()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	txt, err := r.TXT(ctx, d.reverse+"."+base)
	if dnsclient.IsTemporary(err) {
		d.mustNotBounce = true
		if d.failClosed {
			d.state, d.text = rejected, failText
		}
		return nil
	}
	// djbdns's dns_txt joins every record, and so does 0.88.
	text := strings.Join(txt, "")
	if text == "" {
		return nil
	}
	d.text = text
	if d.rblBounce {
		d.state = bounced
	} else {
		d.state = rejected
	}
	return nil
}

// antiRBL is -a base.
func (d *decider) antiRBL(base string) error {
	if d.state != undecided || d.reverse == "" {
		return nil
	}
	r, err := d.resolve()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	addrs, err := r.A(ctx, d.reverse+"."+base)
	if dnsclient.IsTemporary(err) {
		// 0.88 gives an allow list the benefit of the doubt unless -c.
		d.mustNotBounce = true
		if !d.failClosed {
			d.state = accepted
		}
		return nil
	}
	if len(addrs) > 0 {
		d.state = accepted
	}
	return nil
}

// blocked reports whether the client gets the dialogue, and its reply line
// without CRLF.
func (d *decider) blocked() (bool, string) {
	if d.state != rejected && d.state != bounced {
		return false, ""
	}
	code := codePermanent
	if d.state == rejected || d.mustNotBounce {
		code = codeTemporary
	}
	return true, replyLine(code, d.text)
}
