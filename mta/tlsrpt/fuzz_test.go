package tlsrpt

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseRecord: the _smtp._tls record is anyone's to write; every URI
// kept is mailto: or https:, at most MaxURIs of them.
func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1;rua=https://x.example/a,mailto:b@c;", "v=TLSRPTv1; rua=,", "v=TLSRPTv1;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			return
		}
		if len(r.RUA) > MaxURIs {
			t.Fatalf("%q: %d URIs", s, len(r.RUA))
		}
		for _, u := range r.RUA {
			l := strings.ToLower(u)
			if !strings.HasPrefix(l, "mailto:") && !strings.HasPrefix(l, "https:") {
				t.Fatalf("%q: kept %q", s, u)
			}
			if a := MailAddress(u); a != "" && strings.ContainsAny(a, "\r\n,<>") {
				t.Fatalf("%q: address %q", s, a)
			}
		}
	})
}

// FuzzSessions: log lines are read back from files anyone with the log
// can edit. What parses is a known policy and result and an address, and
// prints to a line that parses the same.
func FuzzSessions(f *testing.F) {
	f.Add("delivery 1: success: x/TLS-RPT_policy=sts_domain=a.test_mx=m.a.test_ip=192.0.2.1_result=success/")
	f.Add("TLS-RPT policy=tlsa domain=a mx=b ip=::1 result=dnssec-invalid")
	f.Add("TLS-RPT_policy=no-policy-found_domain=a_mx=b_ip=1.2.3.4_result=starttls-not-supported.")
	f.Fuzz(func(t *testing.T, text string) {
		for _, s := range Sessions(text) {
			if !knownPolicy(s.Policy) || !knownResult(s.Result) {
				t.Fatalf("%q: %+v", text, s)
			}
			if _, err := netip.ParseAddr(s.IP); err != nil {
				t.Fatalf("%q: %+v", text, s)
			}
			back := Sessions(s.Line())
			if len(back) != 1 {
				t.Fatalf("%q: %+v printed as %q", text, s, s.Line())
			}
		}
	})
}
