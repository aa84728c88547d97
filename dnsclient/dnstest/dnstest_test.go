package dnstest

import (
	"testing"

	"github.com/miekg/dns"
)

// ask sends one query with miekg/dns's own client, independent of
// dnsclient, to pin what the server says.
func ask(t *testing.T, s *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network}
	r, _, err := c.Exchange(m, s.Addr)
	if err != nil {
		t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

func TestServerAnswers(t *testing.T) {
	s := Start(t, Zone(map[string][]string{
		"mail.example": {"A 192.0.2.1"},
		"www.example":  {"CNAME mail.example"},
		"a.b.example":  {"TXT \"deep\""},
	}))
	s.Fail("bad.example", ServFail)
	s.Fail("tc.example", Truncate)
	tests := []struct {
		why     string
		network string
		name    string
		qtype   uint16
		rcode   int
		answers int
		tc      bool
	}{
		{"record present", "udp", "mail.example", dns.TypeA, dns.RcodeSuccess, 1, false},
		{"upper case matches", "udp", "MAIL.Example", dns.TypeA, dns.RcodeSuccess, 1, false},
		{"other type: no data", "udp", "mail.example", dns.TypeAAAA, dns.RcodeSuccess, 0, false},
		{"missing name: NXDOMAIN", "udp", "nosuch.example", dns.TypeA, dns.RcodeNameError, 0, false},
		{"empty non-terminal exists", "udp", "b.example", dns.TypeA, dns.RcodeSuccess, 0, false},
		{"CNAME chased: CNAME and A", "udp", "www.example", dns.TypeA, dns.RcodeSuccess, 2, false},
		{"CNAME asked for itself", "udp", "www.example", dns.TypeCNAME, dns.RcodeSuccess, 1, false},
		{"SERVFAIL fault", "udp", "bad.example", dns.TypeA, dns.RcodeServerFailure, 0, false},
		{"Truncate fault over UDP", "udp", "tc.example", dns.TypeA, dns.RcodeSuccess, 0, true},
		{"Truncate fault leaves TCP alone", "tcp", "tc.example", dns.TypeA, dns.RcodeNameError, 0, false},
	}
	for _, tc := range tests {
		r := ask(t, s, tc.network, tc.name, tc.qtype)
		if r.Rcode != tc.rcode || len(r.Answer) != tc.answers || r.Truncated != tc.tc {
			t.Errorf("%s: rcode %s, %d answers, TC %v", tc.why, dns.RcodeToString[r.Rcode], len(r.Answer), r.Truncated)
		}
	}
	if n := s.Asked("tc.example", "A"); n != 2 {
		t.Errorf("Asked counted %d, want 2", n)
	}
}

// The AD bit: only on request, only for names marked, as a validator.
func TestServerAD(t *testing.T) {
	s := Start(t, Zone(map[string][]string{
		"mx.signed.example":     {"A 192.0.2.1"},
		"hole.signed.example":   {"A 192.0.2.2"},
		"alias.signed.example":  {"CNAME mx.unsigned.example"},
		"mx.unsigned.example":   {"A 192.0.2.3"},
		"inside.signed.example": {"CNAME mx.signed.example"},
	}))
	s.SetAD("signed.example", true)
	s.SetAD("hole.signed.example", false)
	query := func(name string, ad, do bool) bool {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), dns.TypeA)
		m.AuthenticatedData = ad
		if do {
			m.SetEdns0(1232, true)
		}
		r, _, err := (&dns.Client{}).Exchange(m, s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		return r.AuthenticatedData
	}
	tests := []struct {
		why    string
		name   string
		ad, do bool
		want   bool
	}{
		{"signed, AD asked", "mx.signed.example", true, false, true},
		{"signed, DO asked", "mx.signed.example", false, true, true},
		{"signed, nothing asked", "mx.signed.example", false, false, false},
		{"insecure hole in a signed zone", "hole.signed.example", true, false, false},
		{"unsigned zone", "mx.unsigned.example", true, false, false},
		{"CNAME leaving the signed zone", "alias.signed.example", true, false, false},
		{"CNAME inside the signed zone", "inside.signed.example", true, false, true},
		{"denial in the signed zone", "nosuch.signed.example", true, false, true},
	}
	for _, tc := range tests {
		if got := query(tc.name, tc.ad, tc.do); got != tc.want {
			t.Errorf("%s: AD %v", tc.why, got)
		}
	}
}
