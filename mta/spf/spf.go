// Package spf evaluates Sender Policy Framework records (RFC 7208): given
// the client's IP address, the envelope sender and the HELO name, it
// fetches the sender domain's "v=spf1" TXT record and runs its mechanisms
// (all, include, a, mx, ptr, ip4, ip6, exists) and modifiers (redirect,
// exp), with macro expansion (section 7) and the processing limits of
// section 4.6.4: at most 10 mechanisms or modifiers that query DNS, at most
// 10 names from one mx or ptr, and at most 2 lookups that return nothing.
package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/quail-mta/quail/dnsclient"
)

// Result is an SPF result (RFC 7208 section 2.6).
type Result string

const (
	None      Result = "none"
	Neutral   Result = "neutral"
	Pass      Result = "pass"
	Fail      Result = "fail"
	SoftFail  Result = "softfail"
	TempError Result = "temperror"
	PermError Result = "permerror"
)

// Resolver is the DNS a check needs; *dnsclient.Resolver is one.
type Resolver interface {
	TXT(ctx context.Context, name string) ([]string, error)
	A(ctx context.Context, name string) ([]netip.Addr, error)
	AAAA(ctx context.Context, name string) ([]netip.Addr, error)
	MX(ctx context.Context, name string) ([]dnsclient.MX, error)
	PTR(ctx context.Context, ip netip.Addr) ([]string, error)
}

// Limits of RFC 7208 section 4.6.4.
const (
	MaxDNSMechanisms = 10
	MaxVoidLookups   = 2
	MaxNamesPerMX    = 10
)

// Checker runs checks against one resolver.
type Checker struct {
	DNS Resolver
	// Receiver is this host's name, for the %{r} macro.
	Receiver string
	// LocalRules, when set, are evaluated (as mechanisms of their own)
	// before a record's final "all" or "redirect": an administrator's
	// own trusted forwarders, as qmail-spf's control/spfrules.
	LocalRules string
}

// Outcome is a result with what led to it.
type Outcome struct {
	Result      Result
	Mechanism   string // the mechanism that matched, "" for none
	Explanation string // exp= text for a fail, or why an error happened
	Domain      string // the domain checked
}

type state struct {
	c         *Checker
	ctx       context.Context
	ip        netip.Addr
	sender    string
	helo      string
	dnsTerms  int
	voids     int
	depth     int
	localUsed bool

	// The client's validated names, looked up once per check: every
	// %{p} and ptr of a check would otherwise repeat the PTR query and
	// up to ten address queries.
	names     []string
	namesErr  error
	namesDone bool
}

var (
	errPerm = errors.New("permerror")
	errTemp = errors.New("temperror")
)

type evalError struct {
	kind error
	why  string
}

func (e *evalError) Error() string { return e.why }
func (e *evalError) Unwrap() error { return e.kind }

func perm(format string, a ...any) error { return &evalError{errPerm, fmt.Sprintf(format, a...)} }
func temp(format string, a ...any) error { return &evalError{errTemp, fmt.Sprintf(format, a...)} }

// Check evaluates the SPF policy for a mail from sender (the MAIL FROM
// address; empty for bounces, when the HELO name stands in as RFC 7208
// section 2.4 says) sent from ip after HELO helo.
func (c *Checker) Check(ctx context.Context, ip netip.Addr, sender, helo string) Outcome {
	ip = ip.Unmap()
	if sender == "" || !strings.Contains(sender, "@") {
		local := "postmaster"
		if sender != "" {
			local = sender
		}
		sender = local + "@" + helo
	}
	if strings.HasPrefix(sender, "@") {
		sender = "postmaster" + sender
	}
	domain := sender[strings.LastIndexByte(sender, '@')+1:]
	st := &state{c: c, ctx: ctx, ip: ip, sender: sender, helo: helo}
	if !validDomain(domain) {
		return Outcome{Result: None, Domain: domain, Explanation: "no valid sender domain"}
	}
	res, mech, expl, err := st.checkHost(domain)
	out := Outcome{Result: res, Mechanism: mech, Explanation: expl, Domain: domain}
	if err != nil {
		out.Explanation = err.Error()
		switch {
		case errors.Is(err, errTemp):
			out.Result = TempError
		default:
			out.Result = PermError
		}
	}
	return out
}

// checkHost is check_host() of RFC 7208 section 4.
func (st *state) checkHost(domain string) (Result, string, string, error) {
	st.depth++
	if st.depth > 2*MaxDNSMechanisms+1 {
		return "", "", "", perm("too many nested records")
	}
	defer func() { st.depth-- }()
	record, err := st.fetch(domain)
	if err != nil {
		return "", "", "", err
	}
	if record == "" {
		return None, "", "", nil
	}
	terms := strings.Fields(record)[1:]
	if err := recordSyntax(terms); err != nil {
		return "", "", "", err
	}
	var redirect, exp string
	var directives []string
	for _, t := range terms {
		name, value, isMod := modifier(t)
		if !isMod {
			directives = append(directives, t)
			continue
		}
		switch name {
		case "redirect":
			if redirect != "" {
				return "", "", "", perm("redirect given twice")
			}
			redirect = value
		case "exp":
			if exp != "" {
				return "", "", "", perm("exp given twice")
			}
			exp = value
		default:
			// Unknown modifiers are ignored (section 6), but must
			// still be well formed.
			if !validModifierName(name) {
				return "", "", "", perm("bad modifier %q", t)
			}
		}
	}
	if st.c.LocalRules != "" && st.depth == 1 && !st.localUsed {
		// Insert the local rules before the final "all" (or at the end).
		extra := strings.Fields(st.c.LocalRules)
		at := len(directives)
		if at > 0 && isAll(directives[at-1]) {
			at--
		}
		directives = append(directives[:at:at], append(extra, directives[at:]...)...)
		st.localUsed = true
	}
	for _, d := range directives {
		q, mech := qualifier(d)
		matched, err := st.mechanism(domain, mech)
		if err != nil {
			return "", d, "", err
		}
		if !matched {
			continue
		}
		res := map[byte]Result{'+': Pass, '-': Fail, '~': SoftFail, '?': Neutral}[q]
		expl := ""
		if res == Fail && exp != "" {
			expl = st.explanation(domain, exp)
		}
		return res, d, expl, nil
	}
	if redirect != "" {
		if err := st.countDNS(); err != nil {
			return "", "", "", err
		}
		target, err := st.expand(redirect, domain, false)
		if err != nil {
			return "", "", "", err
		}
		res, mech, expl, err := st.checkHost(target)
		if err == nil && res == None {
			return "", "", "", perm("redirect to %s, which has no SPF record", target)
		}
		return res, mech, expl, err
	}
	return Neutral, "", "", nil
}

func isAll(d string) bool {
	_, m := qualifier(d)
	return strings.EqualFold(m, "all")
}

// fetch returns the domain's one "v=spf1" record, "" when it has none.
func (st *state) fetch(domain string) (string, error) {
	txts, err := st.c.DNS.TXT(st.ctx, domain)
	if err != nil {
		if dnsclient.IsTemporary(err) {
			return "", temp("DNS failure looking up %s: %v", domain, err)
		}
		return "", nil
	}
	var found []string
	for _, t := range txts {
		lt := strings.ToLower(t)
		if lt == "v=spf1" || strings.HasPrefix(lt, "v=spf1 ") {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", perm("%s has %d SPF records", domain, len(found))
}

func modifier(t string) (name, value string, ok bool) {
	eq := strings.IndexByte(t, '=')
	if eq <= 0 {
		return "", "", false
	}
	// A mechanism's argument follows ':' or '/', never '=' before them.
	if c := strings.IndexAny(t, ":/"); c >= 0 && c < eq {
		return "", "", false
	}
	return strings.ToLower(t[:eq]), t[eq+1:], true
}

func validModifierName(n string) bool {
	if n == "" || !isAlpha(n[0]) {
		return false
	}
	for i := 1; i < len(n); i++ {
		c := n[i]
		if !isAlpha(c) && !('0' <= c && c <= '9') && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func qualifier(d string) (byte, string) {
	if d != "" && strings.IndexByte("+-~?", d[0]) >= 0 {
		return d[0], d[1:]
	}
	return '+', d
}

func (st *state) countDNS() error {
	st.dnsTerms++
	if st.dnsTerms > MaxDNSMechanisms {
		return perm("more than %d DNS-querying terms", MaxDNSMechanisms)
	}
	return nil
}

// void notes a lookup that found nothing; the third one is an error.
func (st *state) void() error {
	st.voids++
	if st.voids > MaxVoidLookups {
		return perm("more than %d void lookups", MaxVoidLookups)
	}
	return nil
}

// mechanism evaluates one mechanism against the client's IP.
func (st *state) mechanism(domain, mech string) (bool, error) {
	name, arg := mech, ""
	if i := strings.IndexAny(mech, ":/"); i >= 0 {
		name, arg = mech[:i], mech[i:]
	}
	switch strings.ToLower(name) {
	case "all":
		if arg != "" {
			return false, perm("bad mechanism %q", mech)
		}
		return true, nil
	case "include":
		if err := st.countDNS(); err != nil {
			return false, err
		}
		target, err := st.domainArg(arg, domain, true)
		if err != nil {
			return false, err
		}
		res, _, _, err := st.checkHost(target)
		if err != nil {
			return false, err
		}
		switch res {
		case Pass:
			return true, nil
		case None:
			return false, perm("include:%s has no SPF record", target)
		}
		return false, nil
	case "a":
		if err := st.countDNS(); err != nil {
			return false, err
		}
		target, v4, v6, err := st.domainCIDR(arg, domain)
		if err != nil {
			return false, err
		}
		return st.hostMatches(target, v4, v6)
	case "mx":
		if err := st.countDNS(); err != nil {
			return false, err
		}
		target, v4, v6, err := st.domainCIDR(arg, domain)
		if err != nil {
			return false, err
		}
		mxs, err := st.c.DNS.MX(st.ctx, target)
		if err != nil {
			if dnsclient.IsTemporary(err) {
				return false, temp("DNS failure looking up MX %s", target)
			}
			return false, st.void()
		}
		if len(mxs) > MaxNamesPerMX {
			return false, perm("%s has more than %d MX records", target, MaxNamesPerMX)
		}
		for _, mx := range mxs {
			ok, err := st.hostMatches(mx.Host, v4, v6)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "ptr":
		if err := st.countDNS(); err != nil {
			return false, err
		}
		target, err := st.domainArg(arg, domain, false)
		if err != nil {
			return false, err
		}
		return st.ptrMatches(target)
	case "ip4", "ip6":
		if !strings.HasPrefix(arg, ":") {
			return false, perm("bad mechanism %q", mech)
		}
		pfx, err := parseNet(arg[1:], strings.EqualFold(name, "ip4"))
		if err != nil {
			return false, perm("bad mechanism %q", mech)
		}
		return pfx.Contains(st.ip), nil
	case "exists":
		if err := st.countDNS(); err != nil {
			return false, err
		}
		if !strings.HasPrefix(arg, ":") {
			return false, perm("bad mechanism %q", mech)
		}
		target, err := st.expand(arg[1:], domain, false)
		if err != nil {
			return false, err
		}
		addrs, err := st.c.DNS.A(st.ctx, target)
		if err != nil {
			if dnsclient.IsTemporary(err) {
				return false, temp("DNS failure looking up %s", target)
			}
			return false, st.void()
		}
		return len(addrs) > 0, nil
	}
	return false, perm("unknown mechanism %q", mech)
}

func parseNet(s string, v4 bool) (netip.Prefix, error) {
	addrText, bits := s, -1
	if i := strings.IndexByte(s, '/'); i >= 0 {
		addrText = s[:i]
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || (i+1 < len(s) && s[i+1] == '0' && len(s) > i+2) {
			return netip.Prefix{}, errors.New("bad prefix length")
		}
		bits = n
	}
	a, err := netip.ParseAddr(addrText)
	if err != nil || a.Is4() != v4 || a.Zone() != "" {
		return netip.Prefix{}, errors.New("bad address")
	}
	if bits < 0 {
		bits = a.BitLen()
	}
	return a.Prefix(bits)
}

// domainArg reads ":domain-spec" or nothing (the current domain).
func (st *state) domainArg(arg, domain string, required bool) (string, error) {
	if arg == "" {
		if required {
			return "", perm("missing domain")
		}
		return domain, nil
	}
	if !strings.HasPrefix(arg, ":") {
		return "", perm("bad argument %q", arg)
	}
	return st.expand(arg[1:], domain, false)
}

// domainCIDR reads [":domain"] ["/v4len"] ["//v6len"] of a and mx.
func (st *state) domainCIDR(arg, domain string) (string, int, int, error) {
	v4, v6 := 32, 128
	spec := arg
	if i := strings.Index(spec, "//"); i >= 0 {
		n, err := strconv.Atoi(spec[i+2:])
		if err != nil || n < 0 || n > 128 {
			return "", 0, 0, perm("bad IPv6 prefix length in %q", arg)
		}
		v6 = n
		spec = spec[:i]
	}
	if i := strings.LastIndexByte(spec, '/'); i >= 0 {
		n, err := strconv.Atoi(spec[i+1:])
		if err != nil || n < 0 || n > 32 {
			return "", 0, 0, perm("bad IPv4 prefix length in %q", arg)
		}
		v4 = n
		spec = spec[:i]
	}
	target, err := st.domainArg(spec, domain, false)
	return target, v4, v6, err
}

func (st *state) hostMatches(host string, v4, v6 int) (bool, error) {
	var addrs []netip.Addr
	var err error
	if st.ip.Is4() {
		addrs, err = st.c.DNS.A(st.ctx, host)
	} else {
		addrs, err = st.c.DNS.AAAA(st.ctx, host)
	}
	if err != nil {
		if dnsclient.IsTemporary(err) {
			return false, temp("DNS failure looking up %s", host)
		}
		return false, st.void()
	}
	bits := v4
	if st.ip.Is6() {
		bits = v6
	}
	for _, a := range addrs {
		p, err := a.Unmap().Prefix(bits)
		if err == nil && p.Contains(st.ip) {
			return true, nil
		}
	}
	return false, nil
}

// ptrMatches is the ptr mechanism: a validated name of the client that
// is target or ends in "."+target.
func (st *state) ptrMatches(target string) (bool, error) {
	names, err := st.validatedNames()
	if err != nil {
		return false, err
	}
	target = strings.ToLower(strings.TrimSuffix(target, "."))
	for _, n := range names {
		if n == target || strings.HasSuffix(n, "."+target) {
			return true, nil
		}
	}
	return false, nil
}

// validatedNames are the client's PTR names whose forward lookup leads
// back to its address (section 5.5), at most 10 tried.
func (st *state) validatedNames() ([]string, error) {
	if !st.namesDone {
		st.names, st.namesErr = st.lookupValidatedNames()
		st.namesDone = true
	}
	return st.names, st.namesErr
}

func (st *state) lookupValidatedNames() ([]string, error) {
	ptrs, err := st.c.DNS.PTR(st.ctx, st.ip)
	if err != nil {
		if dnsclient.IsTemporary(err) {
			return nil, nil // a ptr that cannot be checked does not match
		}
		return nil, st.void()
	}
	var out []string
	for i, p := range ptrs {
		if i >= MaxNamesPerMX {
			break
		}
		var addrs []netip.Addr
		if st.ip.Is4() {
			addrs, err = st.c.DNS.A(st.ctx, p)
		} else {
			addrs, err = st.c.DNS.AAAA(st.ctx, p)
		}
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == st.ip {
				out = append(out, strings.ToLower(strings.TrimSuffix(p, ".")))
				break
			}
		}
	}
	return out, nil
}

func (st *state) explanation(domain, exp string) string {
	target, err := st.expand(exp, domain, false)
	if err != nil {
		return ""
	}
	txts, err := st.c.DNS.TXT(st.ctx, target)
	if err != nil || len(txts) != 1 {
		return ""
	}
	text, err := st.expand(txts[0], domain, true)
	if err != nil {
		return ""
	}
	return text
}

func validDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
	}
	return true
}

// recordSyntax checks every term before any is evaluated: RFC 7208 4.6
// makes a syntax error anywhere in the record a permerror, also after a
// mechanism that would have matched.
func recordSyntax(terms []string) error {
	for _, t := range terms {
		name, value, isMod := modifier(t)
		if isMod {
			switch {
			case name == "redirect" || name == "exp":
				if err := domainSpecSyntax(value); err != nil {
					return err
				}
			case !validModifierName(name):
				return perm("bad modifier %q", t)
			default:
				if err := macroSyntax(value, false); err != nil {
					return err
				}
			}
			continue
		}
		if err := mechanismSyntax(t); err != nil {
			return err
		}
	}
	return nil
}

func mechanismSyntax(d string) error {
	_, mech := qualifier(d)
	name, arg := mech, ""
	if i := strings.IndexAny(mech, ":/"); i >= 0 {
		name, arg = mech[:i], mech[i:]
	}
	bad := perm("bad mechanism %q", d)
	switch strings.ToLower(name) {
	case "all":
		if arg != "" {
			return bad
		}
	case "include", "exists":
		if !strings.HasPrefix(arg, ":") {
			return bad
		}
		return domainSpecSyntax(arg[1:])
	case "ptr":
		if arg == "" {
			return nil
		}
		if !strings.HasPrefix(arg, ":") {
			return bad
		}
		return domainSpecSyntax(arg[1:])
	case "a", "mx":
		spec := arg
		if i := strings.Index(spec, "//"); i >= 0 {
			if n, err := strconv.Atoi(spec[i+2:]); err != nil || n < 0 || n > 128 {
				return bad
			}
			spec = spec[:i]
		}
		if i := strings.LastIndexByte(spec, '/'); i >= 0 {
			if n, err := strconv.Atoi(spec[i+1:]); err != nil || n < 0 || n > 32 {
				return bad
			}
			spec = spec[:i]
		}
		if spec == "" {
			return nil
		}
		if !strings.HasPrefix(spec, ":") {
			return bad
		}
		return domainSpecSyntax(spec[1:])
	case "ip4", "ip6":
		if !strings.HasPrefix(arg, ":") {
			return bad
		}
		if _, err := parseNet(arg[1:], strings.EqualFold(name, "ip4")); err != nil {
			return bad
		}
	default:
		return perm("unknown mechanism %q", d)
	}
	return nil
}
