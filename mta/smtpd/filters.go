package smtpd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/colinmarc/cdb"

	"github.com/quail-mta/quail/dnsclient"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/spf"
)

// Filters are the Spamcontrol envelope checks, each switched on by a
// control file or an environment variable (usually set per client by
// tcprules):
//
//	HELOCHECK    Spamcontrol's letters (see HeloCheck)
//	MFDNSCHECK   the sender's domain must have an MX or address record
//	TARPITCOUNT  recipients accepted at full speed (default 0: no tarpit)
//	TARPITDELAY  seconds to wait before answering each further RCPT (5)
//	SPFBEHAVIOR  0..6 as control/spfbehavior (see spfAction)
type Filters struct {
	HeloCheck   HeloCheck
	MFDNSCheck  bool
	TarpitCount int
	TarpitDelay time.Duration

	SPFBehavior int    // control/spfbehavior, $SPFBEHAVIOR
	SPFRules    string // control/spfrules: local rules tried before "all"

	DNS spf.Resolver // nil: no DNS checks possible (they then pass)

	// Warlord: control/badmimetypes.cdb as $BADMIMETYPE says,
	// control/badloadertypes.cdb as $BADLOADERTYPE says.
	Warlord WarlordConfig
}

// HeloCheck is $HELOCHECK, one letter as in Spamcontrol and s/qmail
// (their qmail-smtpd(8)); control/badhelo is checked in every case:
//
//	unset, ""  nothing more (badhelo only)
//	"!"        HELO or EHLO required before MAIL
//	"."        required
//	"="        required, and it must be the client's name (TCPREMOTEHOST)
//	"A"        required, and the name must have an address record (an
//	           address literal must be the client's own address)
//	"M"        required, and the name must have an MX or address record
//
// Another single letter is taken as "!", a longer value as "", each with
// a warning: Spamcontrol reads them so, silently.
type HeloCheck byte

// The HeloCheck letters; HeloOff is unset or "".
const (
	HeloOff      HeloCheck = 0
	HeloRequired HeloCheck = '!'
	HeloPresent  HeloCheck = '.'
	HeloRemote   HeloCheck = '='
	HeloA        HeloCheck = 'A'
	HeloMX       HeloCheck = 'M'
)

func heloCheckFromEnv(env Lookup, warn func(string, ...any)) HeloCheck {
	v, ok := env("HELOCHECK")
	if !ok || v == "" {
		return HeloOff
	}
	if len(v) == 1 {
		switch h := HeloCheck(v[0]); h {
		case HeloRequired, HeloPresent, HeloRemote, HeloA, HeloMX:
			return h
		}
		warn("unknown HELOCHECK value %q, taken as %q (HELO required)", v, "!")
		return HeloRequired
	}
	warn("unknown HELOCHECK value %q, taken as %q (badhelo only)", v, "")
	return HeloOff
}

// needsDNS says whether the check asks DNS.
func (h HeloCheck) needsDNS() bool { return h == HeloA || h == HeloMX }

func (c *Config) loadFilters(ctl control.Dir, env Lookup) error {
	f := &c.Filters
	f.HeloCheck = heloCheckFromEnv(env, c.warn)
	_, f.MFDNSCheck = env("MFDNSCHECK")
	var err error
	if f.TarpitCount, err = ctl.Int("tarpitcount", 0); err != nil {
		return err
	}
	delay, err := ctl.Int("tarpitdelay", 5)
	if err != nil {
		return err
	}
	if f.SPFBehavior, err = ctl.Int("spfbehavior", 0); err != nil {
		return err
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{{"TARPITCOUNT", &f.TarpitCount}, {"TARPITDELAY", &delay}, {"SPFBEHAVIOR", &f.SPFBehavior}} {
		if s, ok := env(v.name); ok && s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return fmt.Errorf("bad %s %q", v.name, s)
			}
			*v.dst = n
		}
	}
	f.TarpitDelay = time.Duration(delay) * time.Second
	rules, err := ctl.Lines("spfrules")
	if err != nil {
		return err
	}
	f.SPFRules = strings.Join(rules, " ")
	return c.loadWarlord(ctl, env)
}

// loadWarlord reads $BADMIMETYPE and $BADLOADERTYPE as Spamcontrol does
// (its qmail-smtpd(8)): unset or "-" off; "+" on except for relay clients
// and authenticated users; for BADMIMETYPE "!" also refuses blanks in
// base64 lines, any other letter (or "") just switches the table on; for
// BADLOADERTYPE the letter is the one every loader in the table starts
// with ("+" or "": those the table's keys start with). Longer values are
// taken as "" with a warning. A missing table leaves its check off, with
// a warning when the text file is there but was never compiled.
func (c *Config) loadWarlord(ctl control.Dir, env Lookup) error {
	w := &c.Filters.Warlord
	mode := func(name string) (string, bool) {
		v, ok := env(name)
		if !ok || v == "-" {
			return "", false
		}
		if len(v) > 1 {
			c.warn("unknown %s value %q, taken as %q", name, v, "")
			v = ""
		}
		return v, true
	}
	var err error
	if v, on := mode("BADMIMETYPE"); on {
		w.Whitespace = v == "!"
		w.MimeRelayExempt = v == "+"
		if w.MimeTypes, err = c.loadTable(ctl, "badmimetypes", "qmail-badmimetypes"); err != nil {
			return err
		}
	}
	if v, on := mode("BADLOADERTYPE"); on {
		w.LoaderRelayExempt = v == "+"
		if w.Loaders, err = c.loadTable(ctl, "badloadertypes", "qmail-badloadertypes"); err != nil {
			return err
		}
		if v != "" && v != "+" {
			w.LoaderLetters = v
		} else {
			for k := range w.Loaders {
				if k != "" && !strings.Contains(w.LoaderLetters, k[:1]) {
					w.LoaderLetters += k[:1]
				}
			}
		}
	}
	return nil
}

// loadTable reads the keys of control/NAME.cdb; nil when there is none.
func (c *Config) loadTable(ctl control.Dir, name, maker string) (map[string]bool, error) {
	path := filepath.Join(ctl.Path, name+".cdb")
	db, err := cdb.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(ctl.Path, name)); err == nil {
			c.warn("control/%s is not compiled: run %s", name, maker)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", path, err)
	}
	defer db.Close()
	keys := map[string]bool{}
	it := db.Iter()
	for it.Next() {
		keys[string(it.Key())] = true
		if len(keys) > 100000 {
			return nil, fmt.Errorf("unable to read %s: more than 100000 keys", path)
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", path, err)
	}
	return keys, nil
}

// dnsTimeout bounds each DNS-based check of one command.
const dnsTimeout = 20 * time.Second

// checkHelo refuses MAIL for the HELO name: control/badhelo, then
// $HELOCHECK. A DNS lookup that cannot be answered defers.
func (s *Session) checkHelo() verdict {
	refuse := func(reason string) verdict { return reject(replyBadHelo, "MAIL", reason) }
	if s.cfg.BadHelo.Match(s.helo) && s.helo != "" {
		return refuse("Badhelo")
	}
	hc := s.cfg.Filters.HeloCheck
	if hc == HeloOff {
		return verdict{}
	}
	if s.helo == "" {
		return refuse("Helo_missing")
	}
	switch hc {
	case HeloRemote:
		if !strings.EqualFold(strings.TrimSuffix(s.helo, "."), s.cfg.RemoteHost) || s.cfg.RemoteHost == "unknown" {
			return refuse("Helo_remotehost")
		}
	case HeloA, HeloMX:
		if lit, ok := strings.CutPrefix(s.helo, "["); ok {
			lit = strings.TrimSuffix(lit, "]")
			lit = strings.TrimPrefix(strings.ToLower(lit), "ipv6:")
			a, err := netip.ParseAddr(lit)
			r, err2 := netip.ParseAddr(s.cfg.RemoteIP)
			if err != nil || err2 != nil || a.Unmap() != r.Unmap() {
				return refuse("Helo_literal")
			}
			return verdict{}
		}
		if s.cfg.Filters.DNS == nil {
			return verdict{}
		}
		var exists, temp bool
		if hc == HeloA {
			exists, temp = s.hasAddress(s.helo)
		} else {
			exists, temp = s.domainExists(s.helo)
		}
		if temp {
			return deferral(replyHeloUnchecked, "MAIL", "Helo_DNS")
		}
		if !exists {
			return refuse("Helo_DNS")
		}
	}
	return verdict{}
}

// hasAddress says whether name has an A or AAAA record.
func (s *Session) hasAddress(name string) (exists, temporary bool) {
	ctx, cancel := context.WithTimeout(context.Background(), dnsTimeout)
	defer cancel()
	a, err := s.cfg.Filters.DNS.A(ctx, name)
	if err == nil && len(a) > 0 {
		return true, false
	}
	if err != nil && dnsclient.IsTemporary(err) {
		return false, true
	}
	aaaa, err := s.cfg.Filters.DNS.AAAA(ctx, name)
	if err == nil && len(aaaa) > 0 {
		return true, false
	}
	return false, err != nil && dnsclient.IsTemporary(err)
}

// domainExists says whether name has an MX or an address record.
func (s *Session) domainExists(name string) (exists, temporary bool) {
	ctx, cancel := context.WithTimeout(context.Background(), dnsTimeout)
	defer cancel()
	dns := s.cfg.Filters.DNS
	mx, err := dns.MX(ctx, name)
	if err == nil && len(mx) > 0 {
		return true, false
	}
	if err != nil && dnsclient.IsTemporary(err) {
		return false, true
	}
	a, err := dns.A(ctx, name)
	if err == nil && len(a) > 0 {
		return true, false
	}
	if err != nil && dnsclient.IsTemporary(err) {
		return false, true
	}
	aaaa, err := dns.AAAA(ctx, name)
	if err == nil && len(aaaa) > 0 {
		return true, false
	}
	return false, err != nil && dnsclient.IsTemporary(err)
}

// checkSenderDomain runs the checks on MAIL FROM beyond badmailfrom:
// badmailfromunknown, and $MFDNSCHECK. passed says badmailfrom's "?"
// form lets addr pass them.
func (s *Session) checkSenderDomain(addr string, passed bool) verdict {
	if passed {
		return verdict{}
	}
	if s.cfg.RemoteHost == "unknown" && s.cfg.BadMailFromUnknown.Match(addr) {
		return reject(replySenderNoRDNS, "MAIL", "Badmailfromunknown")
	}
	if s.cfg.Filters.MFDNSCheck && addr != "" && s.cfg.Filters.DNS != nil {
		d := Domain(addr)
		if d == "" {
			return reject(replySenderNoDNS, "MAIL", "Sender_DNS")
		}
		exists, temp := s.domainExists(d)
		if temp {
			return deferral(replySenderDNSTemp, "MAIL", "Sender_DNS")
		}
		if !exists {
			return reject(replySenderNoDNS, "MAIL", "Sender_DNS")
		}
	}
	return verdict{}
}

// checkSPF evaluates SPF for MAIL FROM, sets the Received-SPF field and
// refuses as the level asks. The levels are qmail-spf's:
//
//	0 no SPF at all           4 also refuse softfail
//	1 Received-SPF only       5 also refuse neutral
//	2 also defer temperror    6 refuse everything but pass
//	3 also refuse fail
//
// Relay clients and authenticated users are not checked.
func (s *Session) checkSPF(addr string) verdict {
	level := s.cfg.Filters.SPFBehavior
	s.spfHeader = ""
	if level == 0 || s.cfg.Filters.DNS == nil || s.relayAllowed() {
		return verdict{}
	}
	ip, err := netip.ParseAddr(s.cfg.RemoteIP)
	if err != nil {
		return verdict{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), dnsTimeout)
	defer cancel()
	c := &spf.Checker{DNS: s.cfg.Filters.DNS, Receiver: s.cfg.Me, LocalRules: s.cfg.Filters.SPFRules}
	out := c.Check(ctx, ip, addr, s.helo)
	s.spfHeader = s.receivedSPF(out, addr)
	refuse := func(r Reply) verdict { return reject(r, "MAIL", "SPF") }
	switch r := out.Result; {
	case r == spf.TempError && level >= 2:
		return deferral(replySPFTemp, "MAIL", "SPF")
	case r == spf.Fail && level >= 3:
		return refuse(replySPFFail(out.Domain, s.cfg.RemoteIP, out.Explanation))
	case r == spf.SoftFail && level >= 4:
		return refuse(replySPFSoftFail(out.Domain, s.cfg.RemoteIP))
	case r == spf.Neutral && level >= 5:
		return refuse(replySPFNeutral(out.Domain, s.cfg.RemoteIP))
	case r != spf.Pass && level >= 6:
		return refuse(replySPFNotPass(string(r)))
	}
	return verdict{}
}

// receivedSPF is the Received-SPF header field of RFC 7208 section 9.1.
func (s *Session) receivedSPF(out spf.Outcome, addr string) string {
	comment := fmt.Sprintf("%s: domain of %s", s.cfg.Me, addr)
	switch out.Result {
	case spf.Pass:
		comment += " designates " + s.cfg.RemoteIP + " as permitted sender"
	case spf.Fail, spf.SoftFail:
		comment += " does not designate " + s.cfg.RemoteIP + " as permitted sender"
	case spf.Neutral:
		comment += " neither permits nor denies " + s.cfg.RemoteIP
	case spf.None:
		comment = s.cfg.Me + ": " + out.Domain + " does not publish SPF"
	default:
		comment = s.cfg.Me + ": SPF evaluation for " + out.Domain + " failed"
	}
	identity := "mailfrom"
	if addr == "" {
		identity = "helo" // RFC 7208 2.4: a bounce is checked by its HELO name
	}
	problem := ""
	if (out.Result == spf.PermError || out.Result == spf.TempError) && out.Explanation != "" {
		problem = " problem=" + quotedString(out.Explanation) + ";"
	}
	return fmt.Sprintf("Received-SPF: %s (%s) client-ip=%s; envelope-from=%s; helo=%s; receiver=%s; identity=%s;%s\n",
		out.Result, safeHeaderText(comment), s.cfg.RemoteIP, quotedString(addr), spfValue(s.helo), spfValue(s.cfg.Me), identity, problem)
}

// spfValue is a key-value-pair value of RFC 7208 9.1: the text itself
// when it is a dot-atom, else a quoted-string, so that no client-chosen
// text can end the pair and start a key of its own.
func spfValue(v string) string {
	if isDotAtom(v) {
		return v
	}
	return quotedString(v)
}

func quotedString(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isDotAtom: RFC 5322 atext runs separated by single dots.
func isDotAtom(v string) bool {
	if v == "" || v[0] == '.' || v[len(v)-1] == '.' || strings.Contains(v, "..") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// safeHeaderText keeps a header field on one line of printable bytes.
func safeHeaderText(v string) string {
	b := []byte(v)
	for i, c := range b {
		if c < ' ' || c > '~' || c == '"' || c == '(' || c == ')' || c == '\\' {
			b[i] = '?'
		}
	}
	return string(b)
}

// tarpit delays the reply to a recipient beyond TARPITCOUNT.
func (s *Session) tarpit() {
	f := s.cfg.Filters
	if f.TarpitCount > 0 && len(s.rcpts) >= f.TarpitCount && f.TarpitDelay > 0 {
		s.sleep(f.TarpitDelay)
	}
}
