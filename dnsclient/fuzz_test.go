package dnsclient

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// FuzzReply feeds arbitrary bytes to the code that judges a reply and reads
// its answer: it must neither panic nor loop, and whatever it accepts must
// be an answer to the question asked.
func FuzzReply(f *testing.F) {
	q := new(dns.Msg)
	q.Id = 0x1234
	q.Question = []dns.Question{{Name: "www.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET}}
	good := new(dns.Msg)
	good.SetReply(q)
	c, _ := dns.NewRR("WWW.example. 60 IN CNAME alias.example.")
	c2, _ := dns.NewRR("alias.example. 60 IN CNAME www.example.")
	a, _ := dns.NewRR("alias.example. 60 IN A 192.0.2.1")
	good.Answer = []dns.RR{c, a}
	seed, _ := good.Pack()
	f.Add(seed)
	good.Answer = []dns.RR{c, c2}
	loop, _ := good.Pack()
	f.Add(loop)
	good.Rcode = dns.RcodeNameError
	good.Answer = nil
	nx, _ := good.Pack()
	f.Add(nx)
	f.Add([]byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		reply, ok := checkReply(q, raw)
		if !ok {
			return
		}
		if reply.Id != q.Id || reply.Question[0].Qtype != dns.TypeA {
			t.Fatalf("accepted a reply to another query: %v", reply)
		}
		ans, ok := readAnswer(reply, q.Question[0].Name, dns.TypeA, MaxCNAME)
		if !ok {
			return
		}
		if ans.links > MaxCNAME {
			t.Fatalf("followed %d links", ans.links)
		}
		for _, rr := range ans.records {
			if _, isA := rr.(*dns.A); !isA {
				t.Fatalf("record of another type: %v", rr)
			}
		}
	})
}

// FuzzParseServers: $DNSCACHEIP is configuration text; every entry accepted
// must be a dialable address with a port.
func FuzzParseServers(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.0.0.1:5353", "::1 [::1]:53", "1.2.3.4,5.6.7.8", "", "x", "[::1]", "1.2.3.4:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		servers, err := ParseServers(s)
		if err != nil {
			return
		}
		for _, srv := range servers {
			ap, perr := netip.ParseAddrPort(srv)
			if perr != nil || ap.Port() == 0 {
				t.Fatalf("accepted %q as %q", s, srv)
			}
		}
	})
}

// FuzzTXT: whatever bytes a TXT record carries on the wire, TXT gives them
// back unchanged after miekg/dns's escaping.
func FuzzTXT(f *testing.F) {
	for _, s := range []string{"plain", "tab\there", "\"quoted\" \\back\\", "\x00\xff\xc3\xa9", "\\065", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 255 {
			data = data[:255]
		}
		// owner "t.", type TXT, class IN, TTL 0, one character-string.
		rdlen := len(data) + 1
		wire := []byte{1, 't', 0, 0, 16, 0, 1, 0, 0, 0, 0, byte(rdlen >> 8), byte(rdlen), byte(len(data))}
		wire = append(wire, data...)
		rr, _, err := dns.UnpackRR(wire, 0)
		if err != nil {
			t.Fatalf("unpack: %v", err)
		}
		var got string
		for _, s := range rr.(*dns.TXT).Txt {
			got += unescapeTXT(s)
		}
		if got != string(data) {
			t.Fatalf("got %q, want %q", got, data)
		}
	})
}
