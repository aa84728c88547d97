// Package dnstest runs a DNS server on a loopback address for tests: it
// answers from a zone the test gives, the way a recursive cache in front of
// that zone would, and can be told to misbehave for chosen names.
//
// Only _test.go files import it; nothing here reaches the product.
//
// Typical use, with a zone in RFC 1035 master-file format (names are
// absolute whether or not they end in a dot; a record without a TTL gets
// 3600):
//
//	srv := dnstest.Start(t, `
//		2.0.0.127.bl.test.    TXT   "listed: see http://bl.test/"
//		mail.example.         A     192.0.2.25
//		example.              MX    10 mail.example.
//		www.example.          CNAME mail.example.
//	`)
//	env := []string{"DNSCACHEIP=" + srv.Addr} // for quail programs
//	srv.Fail("down.example", dnstest.ServFail)
//	...
//	qs := srv.Queries() // what was asked, in order
//
// Or from a map, name to records in master-file form without the owner:
//
//	srv := dnstest.Start(t, dnstest.Zone(map[string][]string{
//		"example": {"MX 10 mail.example", "TXT \"v=spf1 -all\""},
//	}))
//
// What the server answers:
//   - records of the type asked, following CNAMEs inside the zone (at most
//     10 links) as a cache would, with every CNAME in the answer;
//   - NXDOMAIN for a name (or CNAME target) that is not in the zone and is
//     not an ancestor of a name in it; NOERROR with no records otherwise;
//   - over UDP, a reply over 512 bytes is truncated with TC set (there is no
//     EDNS0), so the client must retry over TCP;
//   - the faults set with Fail, per name (case-insensitively);
//   - the AD bit, as a validating resolver sets it (RFC 6840 section 5.8):
//     only when the query set AD or DO, and only for names SetAD marked
//     authenticated (a zone and the names under it, as a signed zone is).
//
// Start listens on 127.0.0.1 with a kernel-chosen port, UDP and TCP on the
// same port. Programs that can only talk to port 53 (Debian's ucspi-tcp,
// whose $DNSCACHEIP takes an address only) need StartAt with an address
// such as "127.0.0.53:53", which needs root; StartAt returns the bind error
// so the test can skip with it. The server stops when the test ends.
package dnstest

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Fault is a misbehaviour the server shows for one name.
type Fault int

const (
	// Normal answers from the zone.
	Normal Fault = iota
	// ServFail answers SERVFAIL, as a cache whose upstreams fail does.
	ServFail
	// Refused answers REFUSED.
	Refused
	// Timeout never answers, over UDP or TCP.
	Timeout
	// Truncate answers over UDP with TC set and no records, whatever the
	// size; TCP gets the real answer.
	Truncate
	// Spoof sends over UDP, before the real reply, replies that must be
	// ignored: one with another ID and one for another question, both
	// carrying records (A 192.0.2.66, TXT "spoofed") that would change the
	// outcome.
	Spoof
	// CNAMEOnly answers with the name's CNAME record alone, as a cache that
	// does not chase aliases would, so that the client must ask for the
	// target itself.
	CNAMEOnly
)

// Query is one question the server received.
type Query struct {
	Name string // lower case, no trailing dot
	Type string // "A", "TXT" ...
	Net  string // "udp" or "tcp"
}

// Server is a running test DNS server.
type Server struct {
	// Addr is "ip:port", the form quail's $DNSCACHEIP accepts.
	Addr string
	// IP is the address alone, for programs that take no port.
	IP string

	mu      sync.Mutex
	records map[string][]dns.RR // lower-case FQDN -> records
	exists  map[string]bool     // names with records, and their ancestors
	faults  map[string]Fault
	ad      map[string]bool // lower-case FQDN -> answers under it authenticated
	queries []Query
	servers []*dns.Server
}

// Start starts a server on 127.0.0.1 (UDP and TCP on one free port) with
// zone loaded, and stops it when the test ends. A bad zone fails the test.
func Start(t testing.TB, zone string) *Server {
	t.Helper()
	var lastErr error
	for range 20 {
		s, err := StartAt(t, "127.0.0.1:0", zone)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("dnstest: %v", lastErr)
	return nil
}

// StartAt is Start on a given address, "127.0.0.1:0" meaning a free port
// chosen for UDP and then taken for TCP too. It returns the listen error
// instead of failing the test, so that a test needing port 53 can skip.
func StartAt(t testing.TB, addr, zone string) (*Server, error) {
	t.Helper()
	s := &Server{
		records: map[string][]dns.RR{},
		exists:  map[string]bool{".": true},
		faults:  map[string]Fault{},
		ad:      map[string]bool{},
	}
	if err := s.add(zone); err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	s.Addr = pc.LocalAddr().String()
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		pc.Close()
		return nil, err
	}
	s.IP, _, _ = net.SplitHostPort(s.Addr)
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: s}, {Listener: ln, Handler: s}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		failed := make(chan error, 1)
		go func() { failed <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-failed:
			s.shutdown()
			return nil, err
		}
		s.servers = append(s.servers, srv)
	}
	t.Cleanup(s.shutdown)
	return s, nil
}

// StartForPeers is Start on port 53 of a spare loopback address, for
// differential tests: Debian's ucspi-tcp programs take $DNSCACHEIP as an
// address only. Binding port 53 needs root; without it, or without a
// spare address, the test is skipped with the reason. Point both
// programs at it with DNSCACHEIP=srv.IP.
func StartForPeers(t testing.TB, zone string) *Server {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the differential test needs root: Debian's ucspi-tcp only talks to port 53")
	}
	var lastErr error
	for i := range 8 {
		pid := os.Getpid()
		addr := fmt.Sprintf("127.53.%d.%d:53", (pid>>8)%250+1, (pid+i*37)%250+2)
		srv, err := StartAt(t, addr, zone)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	t.Skipf("no spare loopback address for a DNS server on port 53: %v", lastErr)
	return nil
}

func (s *Server) shutdown() {
	for _, srv := range s.servers {
		srv.Shutdown()
	}
	s.servers = nil
}

// Add loads more records, in master-file format; a bad zone fails the test.
func (s *Server) Add(t testing.TB, zone string) {
	t.Helper()
	if err := s.add(zone); err != nil {
		t.Fatalf("dnstest: %v", err)
	}
}

func (s *Server) add(zone string) error {
	zp := dns.NewZoneParser(strings.NewReader(zone), ".", "")
	zp.SetDefaultTTL(3600)
	s.mu.Lock()
	defer s.mu.Unlock()
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		name := strings.ToLower(rr.Header().Name)
		s.records[name] = append(s.records[name], rr)
		for n := name; ; {
			s.exists[n] = true
			off, end := dns.NextLabel(n, 0)
			if end {
				break
			}
			n = n[off:]
		}
	}
	return zp.Err()
}

// Zone turns a map from owner name to records ("MX 10 mx.example",
// "TXT \"text\"", "A 192.0.2.1") into master-file text for Start.
func Zone(m map[string][]string) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		for _, rec := range m[n] {
			fmt.Fprintf(&b, "%s %s\n", dns.Fqdn(n), rec)
		}
	}
	return b.String()
}

// Fail sets the fault shown for name (Normal clears it).
func (s *Server) Fail(name string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[strings.ToLower(dns.Fqdn(name))] = f
}

// SetAD says whether answers for name and the names under it are
// authenticated (on) or not: the AD bit of a reply follows the setting of
// the question's nearest ancestor (or itself) that has one, so a test can
// sign a zone and leave a name under it insecure, as a delegation to an
// unsigned zone is. Nothing is authenticated until SetAD says so.
func (s *Server) SetAD(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ad[strings.ToLower(dns.Fqdn(name))] = on
}

// authenticated applies SetAD's settings to qname; s.mu is held.
func (s *Server) authenticated(qname string) bool {
	for n := qname; ; {
		if on, ok := s.ad[n]; ok {
			return on
		}
		off, end := dns.NextLabel(n, 0)
		if end {
			return s.ad["."]
		}
		n = n[off:]
	}
}

// chainAuthenticated says whether a validator would set AD on m: the
// question and every name a CNAME in the answer leads to are
// authenticated.
func (s *Server) chainAuthenticated(qname string, m *dns.Msg) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.authenticated(qname) {
		return false
	}
	for _, rr := range m.Answer {
		if c, ok := rr.(*dns.CNAME); ok && !s.authenticated(strings.ToLower(c.Target)) {
			return false
		}
	}
	return true
}

// Queries returns the questions received so far, in order.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// Asked reports how many times name was asked for with type typ ("A",
// "TXT" ...) over any transport.
func (s *Server) Asked(name, typ string) int {
	n := 0
	want := strings.ToLower(strings.TrimSuffix(name, "."))
	for _, q := range s.Queries() {
		if q.Name == want && q.Type == typ {
			n++
		}
	}
	return n
}

// ServeDNS answers one query; it implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	network := "udp"
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	qname := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries = append(s.queries, Query{
		Name: strings.TrimSuffix(qname, "."),
		Type: dns.TypeToString[q.Qtype],
		Net:  network,
	})
	fault := s.faults[qname]
	asked := req.AuthenticatedData || req.IsEdns0() != nil && req.IsEdns0().Do()
	s.mu.Unlock()

	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	switch fault {
	case Timeout:
		return
	case ServFail:
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return
	case Refused:
		m.Rcode = dns.RcodeRefused
		w.WriteMsg(m)
		return
	case Truncate:
		if network == "udp" {
			m.Truncated = true
			w.WriteMsg(m)
			return
		}
	case Spoof:
		if network == "udp" {
			s.spoof(w, req)
		}
	}
	s.answer(m, qname, q.Qtype, fault == CNAMEOnly)
	m.AuthenticatedData = asked && s.chainAuthenticated(qname, m)
	if network == "udp" && m.Len() > dns.MinMsgSize {
		m.Truncate(dns.MinMsgSize)
	}
	w.WriteMsg(m)
}

func (s *Server) answer(m *dns.Msg, qname string, qtype uint16, cnameOnly bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := qname
	for range 11 {
		var cname *dns.CNAME
		for _, rr := range s.records[cur] {
			if rr.Header().Rrtype == qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			} else if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		if len(m.Answer) > 0 && m.Answer[len(m.Answer)-1].Header().Rrtype == qtype {
			return
		}
		if cname == nil || qtype == dns.TypeCNAME {
			if !s.exists[cur] {
				m.Rcode = dns.RcodeNameError
			}
			return
		}
		m.Answer = append(m.Answer, dns.Copy(cname))
		if cnameOnly {
			return
		}
		cur = strings.ToLower(cname.Target)
	}
}

// spoof writes the replies a careful client must throw away.
func (s *Server) spoof(w dns.ResponseWriter, req *dns.Msg) {
	bait := func(name string) []dns.RR {
		a, _ := dns.NewRR(name + " 60 IN A 192.0.2.66")
		txt, _ := dns.NewRR(name + " 60 IN TXT \"spoofed\"")
		return []dns.RR{a, txt}
	}
	q := req.Question[0]
	wrongID := new(dns.Msg)
	wrongID.SetReply(req)
	wrongID.Id = req.Id + 1
	wrongID.Answer = bait(q.Name)
	w.WriteMsg(wrongID)

	other := req.Copy()
	other.Question[0].Name = "spoofed." + q.Name
	wrongQ := new(dns.Msg)
	wrongQ.SetReply(other)
	wrongQ.Answer = bait(other.Question[0].Name)
	w.WriteMsg(wrongQ)
}
