package remote

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// policyHosts is the HTTPS server of every mta-sts.<domain> of the test,
// on 127.0.0.1, answering by the Host header.
type policyHosts struct {
	srv      *httptest.Server
	mu       sync.Mutex
	policies map[string]string // host -> policy; missing: 404
	hits     map[string]int
}

func startPolicyHosts(t *testing.T, cert *testbin.Cert, policies map[string]string) *policyHosts {
	ph := &policyHosts{policies: policies, hits: map[string]int{}}
	ph.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ph.mu.Lock()
		defer ph.mu.Unlock()
		ph.hits[r.Host]++
		body, ok := ph.policies[r.Host]
		if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(body))
	}))
	ph.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS()}}
	ph.srv.StartTLS()
	t.Cleanup(ph.srv.Close)
	return ph
}

func (ph *policyHosts) Port() string {
	_, p, _ := net.SplitHostPort(ph.srv.Listener.Addr().String())
	return p
}

func (ph *policyHosts) Hits(host string) int {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return ph.hits[host]
}

// commonPort is a port free on both 127.0.0.2 and 127.0.0.3, where the
// MX hosts of a case listen (control/smtpport is one port for all).
func commonPort(t *testing.T) string {
	t.Helper()
	for range 50 {
		p := freePort(t, "127.0.0.2")
		ln, err := net.Listen("tcp", "127.0.0.3:"+p)
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no port free on both 127.0.0.2 and 127.0.0.3")
	return ""
}

func spkiHash(t *testing.T, c *testbin.Cert) string {
	d := sha256.Sum256(c.Parsed(t).RawSubjectPublicKeyInfo)
	return hex.EncodeToString(d[:])
}

// DANE and MTA-STS end to end: qmail-remote, the test DNS server (with
// the AD bit where the zone is "signed"), MX hosts on 127.0.0.2 and
// 127.0.0.3 with certificates from a test CA, an HTTPS policy host, a
// server that strips STARTTLS and servers with wrong certificates. Each
// case says what the delivery must come to and which TLS-RPT lines the
// report carries.
func TestPolicies(t *testing.T) {
	ca := testbin.NewCA(t, "Quail Test CA")
	otherCA := testbin.NewCA(t, "Unknown CA")
	good := ca.Issue(t, []string{"*.mx.test"})
	wrongName := ca.Issue(t, []string{"*.wrong.test"})
	unknown := otherCA.Issue(t, []string{"*.mx.test"})
	self := testbin.NewCert(t, []string{"self.signed.test"})
	tlsOf := func(c *testbin.Cert) func(*fakeSMTP) {
		return func(s *fakeSMTP) { s.tls = &tls.Config{Certificates: []tls.Certificate{c.TLS()}} }
	}
	strip := func(s *fakeSMTP) {} // a server, or an attacker in between, without STARTTLS
	servers := map[string]func(*fakeSMTP){"good": tlsOf(good), "wrong": tlsOf(wrongName), "unknown": tlsOf(unknown), "self": tlsOf(self), "strip": strip}

	port := commonPort(t)
	enforce := func(mx ...string) string {
		p := "version: STSv1\nmode: enforce\n"
		for _, m := range mx {
			p += "mx: " + m + "\n"
		}
		return p + "max_age: 86400\n"
	}
	policies := map[string]string{
		"mta-sts.sts-good.test":    enforce("a.mx.test"),
		"mta-sts.sts-second.test":  enforce("a.mx.test", "*.mx.test"),
		"mta-sts.sts-filter.test":  enforce("b.mx.test"),
		"mta-sts.sts-nomatch.test": enforce("x.mx.test"),
		"mta-sts.sts-testing.test": "version: STSv1\nmode: testing\nmx: a.mx.test\nmax_age: 86400\n",
		"mta-sts.dane-sts.test":    enforce("ee.mx.test"),
	}
	var names []string
	for h := range policies {
		names = append(names, h)
	}
	names = append(names, "mta-sts.sts-broken.test")
	hosts := startPolicyHosts(t, ca.Issue(t, names), policies)

	zone := strings.ReplaceAll(`
		a.mx.test.      A 127.0.0.2
		b.mx.test.      A 127.0.0.3
		c.mx.test.      A 127.0.0.2
		ee.mx.test.     A 127.0.0.2
		ta.mx.test.     A 127.0.0.2
		pkix.mx.test.   A 127.0.0.2
		fail.mx.test.   A 127.0.0.2
		_PORT._tcp.ee.mx.test.   TLSA 3 1 1 SELF
		_PORT._tcp.ta.mx.test.   TLSA 2 0 1 CAHASH
		_PORT._tcp.pkix.mx.test. TLSA 1 1 1 SELF
		_PORT._tcp.b.mx.test.    TLSA 3 1 1 SELF
		sts-good.test.     MX 10 a.mx.test.
		sts-second.test.   MX 10 a.mx.test.
		sts-second.test.   MX 20 b.mx.test.
		sts-filter.test.   MX 10 c.mx.test.
		sts-filter.test.   MX 20 b.mx.test.
		sts-nomatch.test.  MX 10 c.mx.test.
		sts-testing.test.  MX 10 a.mx.test.
		sts-none.test.     MX 10 a.mx.test.
		sts-broken.test.   MX 10 a.mx.test.
		dane-ee.test.      MX 10 ee.mx.test.
		dane-ta.test.      MX 10 ta.mx.test.
		dane-pkix.test.    MX 10 pkix.mx.test.
		dane-fail.test.    MX 10 fail.mx.test.
		dane-fail.test.    MX 20 b.mx.test.
		dane-insecure.test. MX 10 ee.mx.test.
		dane-sts.test.     MX 10 ee.mx.test.
		plain.test.        MX 10 a.mx.test.
		_mta-sts.sts-good.test.    TXT "v=STSv1; id=1;"
		_mta-sts.sts-second.test.  TXT "v=STSv1; id=1;"
		_mta-sts.sts-filter.test.  TXT "v=STSv1; id=1;"
		_mta-sts.sts-nomatch.test. TXT "v=STSv1; id=1;"
		_mta-sts.sts-testing.test. TXT "v=STSv1; id=1;"
		_mta-sts.sts-broken.test.  TXT "v=STSv1; id=1;"
		_mta-sts.dane-sts.test.    TXT "v=STSv1; id=1;"
		_mta-sts.plain.test.       TXT "v=STSv1; id=1;"
	`, "_PORT", "_"+port)
	zone = strings.ReplaceAll(zone, "SELF", spkiHash(t, self))
	caHash := sha256.Sum256(ca.DER)
	zone = strings.ReplaceAll(zone, "CAHASH", hex.EncodeToString(caHash[:]))
	for _, h := range names {
		zone += h + ". A 127.0.0.1\n"
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, ca.CertPEM(), 0o644)
	in := newInstance(t, zone, map[string]string{
		"smtpport":   port,
		"mtastsport": hosts.Port(),
		"tlspolicy": strings.Join([]string{
			".test:sts", "dane-ee.test:dane", "dane-ta.test:dane", "dane-pkix.test:dane",
			"dane-fail.test:dane", "dane-insecure.test:dane", "dane-sts.test:dane,sts", "plain.test:none",
		}, "\n"),
	})
	// The trust anchors of MTA-STS: the test CA, as an administrator's
	// own CA would be.
	os.WriteFile(filepath.Join(in.home, "control", "mtastsca.pem"), ca.CertPEM(), 0o644)
	in.dns.SetAD("mx.test", true)
	for _, d := range []string{"dane-ee.test", "dane-ta.test", "dane-pkix.test", "dane-fail.test", "dane-sts.test"} {
		in.dns.SetAD(d, true)
	}
	in.dns.Fail("_"+port+"._tcp.fail.mx.test", dnstest.ServFail)

	line := func(policy, domain, mx, ip, result string) string {
		return "TLS-RPT policy=" + policy + " domain=" + domain + " mx=" + mx + " ip=" + ip + " result=" + result
	}
	const tlsOK = "K127.0.0.2 accepted message over TLS."
	cases := []struct {
		why      string
		domain   string
		at2, at3 string // the servers on 127.0.0.2 and 127.0.0.3: "" for none
		want     string // the message report's first line
		sessions []string
	}{
		{"MTA-STS enforce, certificate valid for the MX: delivered over TLS", "sts-good.test", "good", "", tlsOK,
			[]string{line("sts", "sts-good.test", "a.mx.test", "127.0.0.2", "success")}},
		{"MTA-STS enforce, STARTTLS stripped: deferred", "sts-good.test", "strip", "",
			"ZConnected to 127.0.0.2 but it does not offer STARTTLS, which the MTA-STS policy of sts-good.test requires (#4.7.0).",
			[]string{line("sts", "sts-good.test", "a.mx.test", "127.0.0.2", "starttls-not-supported")}},
		{"MTA-STS enforce, certificate for another name: deferred", "sts-good.test", "wrong", "",
			"ZConnected to 127.0.0.2 but its certificate does not satisfy the MTA-STS policy of sts-good.test: x509: certificate is valid for *.wrong.test, not a.mx.test. (#4.7.5)",
			[]string{line("sts", "sts-good.test", "a.mx.test", "127.0.0.2", "certificate-host-mismatch")}},
		{"MTA-STS enforce, certificate from an unknown CA: deferred", "sts-good.test", "unknown", "",
			"ZConnected to 127.0.0.2 but its certificate does not satisfy the MTA-STS policy of sts-good.test: x509: certificate signed by unknown authority. (#4.7.5)",
			[]string{line("sts", "sts-good.test", "a.mx.test", "127.0.0.2", "certificate-not-trusted")}},
		{"MTA-STS enforce, the first MX fails, the second delivers", "sts-second.test", "wrong", "good", "K127.0.0.3 accepted message over TLS.",
			[]string{line("sts", "sts-second.test", "a.mx.test", "127.0.0.2", "certificate-host-mismatch"), line("sts", "sts-second.test", "b.mx.test", "127.0.0.3", "success")}},
		{"MTA-STS enforce, an MX the policy does not name is passed over", "sts-filter.test", "good", "good", "K127.0.0.3 accepted message over TLS.",
			[]string{line("sts", "sts-filter.test", "c.mx.test", "127.0.0.2", "validation-failure"), line("sts", "sts-filter.test", "b.mx.test", "127.0.0.3", "success")}},
		{"MTA-STS enforce, no MX the policy names: deferred", "sts-nomatch.test", "good", "",
			"ZSorry, the MTA-STS policy of sts-nomatch.test does not allow its MX host c.mx.test. (#4.7.5)",
			[]string{line("sts", "sts-nomatch.test", "c.mx.test", "127.0.0.2", "validation-failure")}},
		{"MTA-STS testing, STARTTLS stripped: delivered, failure reported", "sts-testing.test", "strip", "", "K127.0.0.2 accepted message.",
			[]string{line("sts", "sts-testing.test", "a.mx.test", "127.0.0.2", "starttls-not-supported")}},
		{"MTA-STS testing, wrong certificate: delivered over TLS, failure reported", "sts-testing.test", "wrong", "", tlsOK,
			[]string{line("sts", "sts-testing.test", "a.mx.test", "127.0.0.2", "certificate-host-mismatch")}},
		{"no MTA-STS record: as without policies", "sts-none.test", "wrong", "", tlsOK,
			[]string{line("no-policy-found", "sts-none.test", "a.mx.test", "127.0.0.2", "success")}},
		{"no MTA-STS record, STARTTLS stripped: plain text, reported", "sts-none.test", "strip", "", "K127.0.0.2 accepted message.",
			[]string{line("no-policy-found", "sts-none.test", "a.mx.test", "127.0.0.2", "starttls-not-supported")}},
		{"a record but no policy to fetch: delivered, fetch error reported", "sts-broken.test", "strip", "", "K127.0.0.2 accepted message.",
			[]string{line("sts", "sts-broken.test", "a.mx.test", "127.0.0.2", "sts-policy-fetch-error")}},
		{"DANE-EE matches a self-signed certificate", "dane-ee.test", "self", "", tlsOK,
			[]string{line("tlsa", "dane-ee.test", "ee.mx.test", "127.0.0.2", "success")}},
		{"DANE-EE, another key: deferred", "dane-ee.test", "good", "",
			"ZConnected to 127.0.0.2 but its certificate does not satisfy the DANE policy of ee.mx.test: no TLSA record matches the certificate chain. (#4.7.5)",
			[]string{line("tlsa", "dane-ee.test", "ee.mx.test", "127.0.0.2", "validation-failure")}},
		{"DANE, STARTTLS stripped: deferred", "dane-ee.test", "strip", "",
			"ZConnected to 127.0.0.2 but it does not offer STARTTLS, which the DANE policy of ee.mx.test requires (#4.7.0).",
			[]string{line("tlsa", "dane-ee.test", "ee.mx.test", "127.0.0.2", "starttls-not-supported")}},
		{"DANE-TA: the CA's certificate, the MX name", "dane-ta.test", "good", "", tlsOK,
			[]string{line("tlsa", "dane-ta.test", "ta.mx.test", "127.0.0.2", "success")}},
		{"DANE-TA: the CA's certificate for another name: deferred", "dane-ta.test", "wrong", "",
			"ZConnected to 127.0.0.2 but its certificate does not satisfy the DANE policy of ta.mx.test: the certificate does not name ta.mx.test. (#4.7.5)",
			[]string{line("tlsa", "dane-ta.test", "ta.mx.test", "127.0.0.2", "certificate-host-mismatch")}},
		{"only unusable TLSA records: TLS required, any certificate", "dane-pkix.test", "wrong", "", tlsOK,
			[]string{line("tlsa", "dane-pkix.test", "pkix.mx.test", "127.0.0.2", "success")}},
		{"only unusable TLSA records, STARTTLS stripped: deferred", "dane-pkix.test", "strip", "",
			"ZConnected to 127.0.0.2 but it does not offer STARTTLS, which the DANE policy of pkix.mx.test requires (#4.7.0).",
			[]string{line("tlsa", "dane-pkix.test", "pkix.mx.test", "127.0.0.2", "starttls-not-supported")}},
		{"TLSA lookup fails: that MX is passed over, the next one has DANE", "dane-fail.test", "good", "self", "K127.0.0.3 accepted message over TLS.",
			[]string{line("tlsa", "dane-fail.test", "fail.mx.test", "127.0.0.2", "dnssec-invalid"), line("tlsa", "dane-fail.test", "b.mx.test", "127.0.0.3", "success")}},
		{"TLSA lookup fails, the other MX down: deferred, the policy's reason given", "dane-fail.test", "good", "",
			"ZSorry, the DANE TLSA records of fail.mx.test could not be looked up. (#4.4.3)",
			[]string{line("tlsa", "dane-fail.test", "fail.mx.test", "127.0.0.2", "dnssec-invalid")}},
		{"MX answer not authenticated: no DANE", "dane-insecure.test", "good", "", tlsOK,
			[]string{line("no-policy-found", "dane-insecure.test", "ee.mx.test", "127.0.0.2", "success")}},
		{"DANE takes precedence over MTA-STS", "dane-sts.test", "self", "", tlsOK,
			[]string{line("tlsa", "dane-sts.test", "ee.mx.test", "127.0.0.2", "success")}},
		{"tlspolicy none: qmail's behaviour, no report lines", "plain.test", "strip", "", "K127.0.0.2 accepted message.", nil},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			for ip, kind := range map[string]string{"127.0.0.2": c.at2, "127.0.0.3": c.at3} {
				if kind != "" {
					startFake(t, ip+":"+port, servers[kind])
				}
			}
			rep := in.run(t, testMessage, c.domain, "a@quail.test", "x@"+c.domain)
			msg := last(rep)
			first, _, _ := strings.Cut(msg, "\n")
			if first != c.want {
				t.Fatalf("report %q\nwant %q", msg, c.want)
			}
			var got []string
			for _, l := range strings.Split(msg, "\n") {
				if strings.HasPrefix(l, "TLS-RPT ") {
					got = append(got, l)
				}
			}
			if !slices.Equal(got, c.sessions) {
				t.Fatalf("TLS-RPT lines\n%q\nwant\n%q", got, c.sessions)
			}
		})
	}
	// Four deliveries to sts-good.test, one fetch: the cache served the
	// rest, across qmail-remote processes.
	if n := hosts.Hits("mta-sts.sts-good.test"); n != 1 {
		t.Errorf("mta-sts.sts-good.test fetched %d times", n)
	}
	if _, err := os.Stat(filepath.Join(CacheDir(in.home), "sts-good.test")); err != nil {
		t.Errorf("not cached: %v", err)
	}
	// tlspolicy none: no fetch at all.
	if n := hosts.Hits("mta-sts.plain.test"); n != 0 {
		t.Errorf("mta-sts.plain.test fetched %d times", n)
	}
}
