package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
)

// echoDNS answers every TXT question with the fuzzed record (so include
// and redirect recurse into it), and every other question with an
// answer, so that each mechanism is evaluated to the end.
type echoDNS struct {
	record  string
	queries int
}

func (e *echoDNS) TXT(context.Context, string) ([]string, error) {
	e.queries++
	return []string{e.record}, nil
}
func (e *echoDNS) A(context.Context, string) ([]netip.Addr, error) {
	e.queries++
	return []netip.Addr{netip.MustParseAddr("192.0.2.9")}, nil
}
func (e *echoDNS) AAAA(context.Context, string) ([]netip.Addr, error) {
	e.queries++
	return []netip.Addr{netip.MustParseAddr("2001:db8::9")}, nil
}
func (e *echoDNS) MX(context.Context, string) ([]dnsclient.MX, error) {
	e.queries++
	mx := make([]dnsclient.MX, 10)
	for i := range mx {
		mx[i] = dnsclient.MX{Pref: uint16(i), Host: "mx.example"}
	}
	return mx, nil
}
func (e *echoDNS) PTR(context.Context, netip.Addr) ([]string, error) {
	e.queries++
	return []string{"a.example", "b.example"}, nil
}

// FuzzCheck evaluates whole records, recursion included: no record may
// panic, loop, or make more DNS queries than the limits of RFC 7208
// 4.6.4 allow (ten DNS terms of at most eleven queries each, the record
// fetches, the validated names and an explanation).
func FuzzCheck(f *testing.F) {
	f.Add("v=spf1 include:x.example -all")
	f.Add("v=spf1 redirect=%{d}")
	f.Add("v=spf1 mx mx mx a:%{p}.%{p} ptr exists:%{ir}.%{l1r-}.x -all exp=%{d}")
	f.Add("v=spf1 ?all foo=%{h}")
	f.Fuzz(func(t *testing.T, record string) {
		if strings.ContainsAny(record, "\x00\n\r") || !strings.HasPrefix(record, "v=spf1") {
			return
		}
		dns := &echoDNS{record: record}
		c := &Checker{DNS: dns, Receiver: "mx.example"}
		out := c.Check(context.Background(), netip.MustParseAddr("192.0.2.1"), "a@b.example", "h.example")
		switch out.Result {
		case None, Neutral, Pass, Fail, SoftFail, TempError, PermError:
		default:
			t.Fatalf("result %q", out.Result)
		}
		if dns.queries > 1+10*(1+1+10)+11+2 {
			t.Fatalf("%d DNS queries for %q", dns.queries, record)
		}
	})
}
