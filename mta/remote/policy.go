package remote

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/quail-mta/quail/mta/dane"
	"github.com/quail-mta/quail/mta/mtasts"
	"github.com/quail-mta/quail/mta/tlsrpt"
)

// The transport security policies of RFC 7672 (DANE) and RFC 8461
// (MTA-STS), as a step of qmail-remote between finding the MX hosts and
// talking to them, configured per destination by control/tlspolicy.
//
// For each MX host, in qmail-remote's order:
//   - DANE first (RFC 8461 section 2 gives it precedence): when the MX
//     answer and the host's addresses were authenticated and the host has
//     authenticated TLSA records, TLS is required and, with usable
//     records, authenticated by them; MTA-STS is not consulted for the
//     host;
//   - else MTA-STS, when the domain has a policy: in enforce mode a host
//     the policy does not name is passed over, and the others need TLS
//     with a certificate that verifies for their name; in testing mode the
//     same checks are made and only reported;
//   - else control/tlsdestinations, as without policies.
//
// A host that fails its policy (no STARTTLS, a certificate that does not
// verify, TLSA records that cannot be looked up) is left for the next;
// when none is left the message is deferred with the last host's reason.
// Every session's policy and result is one tlsrpt.Session line added to
// the report (see tlsrpt).

// planner decides the policy of each target of one delivery and keeps
// what happened for the report.
type planner struct {
	ctx      context.Context
	domain   string
	conf     Policies
	res      policyResolver
	port     int // the SMTP port, which names the TLSA records
	sts      *mtasts.Client
	roots    *x509.CertPool // MTA-STS's trust anchors; nil: the system's
	rootsErr error
	now      func() time.Time

	discovered bool
	found      mtasts.Discovery
	tlsa       map[string]tlsaAnswer

	sessions []tlsrpt.Session
	failure  *Outcome // the last policy failure, for when no host is left
}

type tlsaAnswer struct {
	status  dane.Status
	records []dane.Record
}

// policyResolver is the DNS the policies need.
type policyResolver interface {
	dane.Resolver
	mtasts.TXTResolver
	IP(ctx context.Context, name string) ([]netip.Addr, error)
}

// newPlanner prepares the policies of domain. Nothing is looked up until
// a target needs it.
func newPlanner(ctx context.Context, cfg *Config, home, domain string, conf Policies, res policyResolver, port int) *planner {
	p := &planner{ctx: ctx, domain: domain, conf: conf, res: res, port: port, now: time.Now, tlsa: map[string]tlsaAnswer{}}
	if conf.STS {
		if cfg.STSCAFile != "" {
			p.roots, p.rootsErr = loadRoots(cfg.STSCAFile)
		}
		p.sts = &mtasts.Client{
			DNS:     res,
			Fetcher: &mtasts.Fetcher{Roots: p.roots, Port: cfg.STSPort, Lookup: res.IP},
			Cache:   openCache(home),
		}
	}
	return p
}

// CacheDir is where qmail-remote keeps MTA-STS policies, under the qmail
// home: a directory of the queue's lock/, which qmail-remote's user
// (qmailr) owns.
func CacheDir(home string) string { return home + "/queue/lock/mtasts" }

// openCache is the policy cache, made when missing if qmail-remote may
// (a single-user instance); nil when it cannot be had, and every delivery
// then fetches.
func openCache(home string) *mtasts.Cache {
	dir := CacheDir(home)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return &mtasts.Cache{Dir: dir}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil
	}
	return &mtasts.Cache{Dir: dir}
}

func loadRoots(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return pool, nil
}

// policy discovers the domain's MTA-STS policy once per delivery.
func (p *planner) policy() mtasts.Discovery {
	if !p.discovered {
		p.discovered = true
		if p.sts != nil {
			p.found = p.sts.Discover(p.ctx, p.domain)
		}
	}
	return p.found
}

// check is the policy of one target: the session's TLSCheck and its
// TLS-RPT policy type, or an outcome that passes the target over.
func (p *planner) check(t Target) (*TLSCheck, string, *Outcome) {
	if p.conf.DANE && t.Secure && t.Name != "" {
		a, ok := p.tlsa[t.Name]
		if !ok {
			st, recs, _ := dane.Lookup(p.ctx, p.res, t.Name, p.port)
			a = tlsaAnswer{st, recs}
			p.tlsa[t.Name] = a
		}
		policy := "the DANE policy of " + safe(t.Name)
		switch a.status {
		case dane.Unavailable:
			p.record(tlsrpt.PolicyTLSA, t, tlsrpt.DNSSECInvalid)
			return nil, "", p.fail(Outcome{Temporary, "Sorry, the DANE TLSA records of " + safe(t.Name) + " could not be looked up. (#4.4.3)\n"})
		case dane.Authenticated:
			recs, name := a.records, t.Name
			return &TLSCheck{Require: true, Enforce: true, Policy: policy, Verify: func(chain [][]byte) error {
				return dane.Verify(chain, recs, []string{name}, p.now())
			}}, tlsrpt.PolicyTLSA, nil
		case dane.Unauthenticated:
			return &TLSCheck{Require: true, Enforce: true, Policy: policy}, tlsrpt.PolicyTLSA, nil
		}
	}
	if p.conf.STS {
		d := p.policy()
		if d.Policy == nil {
			var fe *mtasts.FetchError
			if errors.As(d.FetchErr, &fe) {
				// A record without a policy to be had: delivery goes on
				// as without one, and the domain hears why.
				return &TLSCheck{Result: fe.Result}, tlsrpt.PolicySTS, nil
			}
			return &TLSCheck{}, tlsrpt.PolicyNone, nil
		}
		pol := d.Policy
		policy := "the MTA-STS policy of " + safe(p.domain)
		enforce := pol.Mode == mtasts.Enforce
		mismatch := ""
		if !pol.Match(t.Name) {
			if enforce {
				p.record(tlsrpt.PolicySTS, t, tlsrpt.ValidationFailure)
				return nil, "", p.fail(Outcome{Temporary, "Sorry, " + policy + " does not allow its MX host " + safe(t.Name) + ". (#4.7.5)\n"})
			}
			mismatch = tlsrpt.ValidationFailure // testing: the session goes on, reported as failed
		}
		if p.rootsErr != nil {
			// The administrator's trust anchors cannot be read: nothing
			// verifies, which defers in enforce mode rather than trusting
			// any certificate.
			err := &mtasts.CertError{Result: tlsrpt.CertificateNotTrusted, Err: p.rootsErr}
			return &TLSCheck{Require: enforce, Enforce: enforce, Policy: policy, Result: mismatch, Verify: func([][]byte) error { return err }}, tlsrpt.PolicySTS, nil
		}
		name, roots := t.Name, p.roots
		return &TLSCheck{Require: enforce, Enforce: enforce, Policy: policy, Result: mismatch, Verify: func(chain [][]byte) error {
			return mtasts.VerifyMX(chain, name, roots, p.now())
		}}, tlsrpt.PolicySTS, nil
	}
	return &TLSCheck{}, tlsrpt.PolicyNone, nil
}

// fail keeps o as the reason to give if no target is left, and returns
// it.
func (p *planner) fail(o Outcome) *Outcome {
	p.failure = &o
	return &o
}

func (p *planner) record(policy string, t Target, result string) {
	p.sessions = append(p.sessions, tlsrpt.Session{Policy: policy, Domain: p.domain, MX: t.Name, IP: t.IP.String(), Result: result})
}

// done records the session a TLSCheck went through.
func (p *planner) done(ck *TLSCheck, policy string, t Target) {
	if ck.Result != "" {
		p.record(policy, t, ck.Result)
	}
}

// report adds the session lines to the message's report.
func (p *planner) report(o Outcome) Outcome {
	for _, s := range p.sessions {
		o.Text += s.Line()
	}
	return o
}

// resultOf is the TLS-RPT result type of a policy's certificate check.
func resultOf(err error) string {
	var de *dane.Error
	if errors.As(err, &de) {
		return de.Result
	}
	var ce *mtasts.CertError
	if errors.As(err, &ce) {
		return ce.Result
	}
	return tlsrpt.ValidationFailure
}
