package remote

import (
	"net"
	"strings"
	"testing"
)

// STARTTLS as control/tlsdestinations says, with the server on 127.0.0.2
// found through MX records of tls.test, whose exchanger is mx.tls.test.
func TestSTARTTLS(t *testing.T) {
	good, ca := testCert(t, []string{"mx.tls.test"}, nil)
	wrong, wrongCA := testCert(t, []string{"other.test"}, nil)
	zone := `
		tls.test.    MX 10 mx.tls.test.
		mx.tls.test. A 127.0.0.2
	`
	cases := []struct {
		why      string
		server   func(*fakeSMTP)
		policy   string
		want     string // start of the message report
		tls      bool
		sessions int
	}{
		{"offered, no policy: used", func(s *fakeSMTP) { s.tls = good }, "", "K127.0.0.2 accepted message over TLS.\n", true, 1},
		{"not offered, no policy: plain text", nil, "", "K127.0.0.2 accepted message.\n", false, 1},
		{"'!' turns it off", func(s *fakeSMTP) { s.tls = good }, "!tls.test:", "K127.0.0.2 accepted message.\n", false, 1},
		{"handshake fails, opportunistic: again in plain text", func(s *fakeSMTP) { s.brokenTLS = true }, "", "K127.0.0.2 accepted message.\n", false, 2},
		{"handshake fails, required: deferred", func(s *fakeSMTP) { s.brokenTLS = true }, "-tls.test:", "ZConnected to 127.0.0.2 but the TLS handshake failed", false, 1},
		{"required, not offered: deferred", nil, "-tls.test:", "ZConnected to 127.0.0.2 but it does not offer STARTTLS, which this destination requires (#4.7.0).\n", false, 1},
		{"name verified against the CA file", func(s *fakeSMTP) { s.tls = good }, "=tls.test:" + ca, "K127.0.0.2 accepted message over TLS.\n", true, 1},
		{"certificate for another name: deferred", func(s *fakeSMTP) { s.tls = wrong }, "=tls.test:" + wrongCA, "ZConnected to 127.0.0.2 but the TLS handshake failed", false, 1},
		{"chain only: another name is fine", func(s *fakeSMTP) { s.tls = wrong }, "tls.test:" + wrongCA, "K127.0.0.2 accepted message over TLS.\n", true, 1},
		{"chain from an unknown CA: deferred", func(s *fakeSMTP) { s.tls = wrong }, "tls.test:" + ca, "ZConnected to 127.0.0.2 but the TLS handshake failed", false, 1},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			srv := startFake(t, "127.0.0.2:0", c.server)
			controls := map[string]string{"smtpport": srv.Port()}
			if c.policy != "" {
				controls["tlsdestinations"] = c.policy
			}
			in := newInstance(t, zone, controls)
			rep := in.run(t, testMessage, "tls.test", "a@quail.test", "x@tls.test")
			if !strings.HasPrefix(last(rep), c.want) {
				t.Fatalf("reports %q", rep)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if srv.tlsUsed != c.tls || srv.sessions != c.sessions {
				t.Fatalf("TLS used %v in %d sessions", srv.tlsUsed, srv.sessions)
			}
			if c.tls {
				// RFC 3207: EHLO again after the handshake.
				if strings.Join(srv.lines[:3], "|") != "EHLO quail.test|STARTTLS|EHLO quail.test" {
					t.Fatalf("dialogue %q", srv.lines)
				}
			}
		})
	}
}

// AUTH with the credentials of an smtproutes line.
func TestAUTH(t *testing.T) {
	cases := []struct {
		why   string
		ext   []string
		route string
		want  string
		auth  string
	}{
		{"PLAIN preferred", []string{"AUTH LOGIN PLAIN"}, "|joe|secret", "K", "PLAIN \x00joe\x00secret"},
		{"LOGIN when PLAIN is not offered", []string{"AUTH=LOGIN"}, "|joe|secret", "K", "LOGIN joe secret"},
		{"wrong password: deferred", []string{"AUTH PLAIN"}, "|joe|wrong", "ZConnected to 127.0.0.1 but authentication was rejected.\nRemote host said: 535 no\n", "PLAIN \x00joe\x00wrong"},
		{"no mechanism offered: deferred", nil, "|joe|secret", "ZConnected to 127.0.0.1 but it offers no AUTH mechanism I know", ""},
		{"no credentials: no AUTH", []string{"AUTH PLAIN"}, "", "K", ""},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			srv := startFake(t, "127.0.0.1:0", func(s *fakeSMTP) { s.ext = c.ext })
			in := newInstance(t, "", map[string]string{"smtproutes": "smart.test:127.0.0.1:" + srv.Port() + c.route})
			rep := in.run(t, testMessage, "smart.test", "a@quail.test", "x@smart.test")
			if !strings.HasPrefix(last(rep), c.want) {
				t.Fatalf("reports %q", rep)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if got := strings.Join(srv.auth, ","); got != c.auth {
				t.Fatalf("server saw AUTH %q", got)
			}
		})
	}
}

// The relay of a route may be an IPv6 literal.
func TestIPv6Relay(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	srv := startFake(t, "[::1]:0", nil)
	in := newInstance(t, "", map[string]string{"smtproutes": "six.test:[::1]:" + srv.Port()})
	rep := in.run(t, testMessage, "six.test", "a@quail.test", "x@six.test")
	if !strings.HasPrefix(last(rep), "K::1 accepted message.") {
		t.Fatalf("reports %q", rep)
	}
}

// An exchanger's AAAA records count for the ipme rule: ::1 is this host.
func TestMXIPv6Self(t *testing.T) {
	srv := startFake(t, "127.0.0.2:0", nil)
	zone := `
		v6.test.     MX 10 mx.v6.test.
		v6.test.     MX 20 mx2.v6.test.
		mx.v6.test.  AAAA ::1
		mx2.v6.test. A 127.0.0.2
		v6b.test.    MX 10 mx2.v6.test.
		v6b.test.    MX 20 mx.v6.test.
	`
	in := newInstance(t, zone, map[string]string{"smtpport": srv.Port()})
	if rep := in.run(t, testMessage, "v6.test", "a@quail.test", "x@v6.test"); !strings.HasPrefix(last(rep), "DSorry. Although I'm listed as a best-preference MX") {
		t.Fatalf("::1 as best MX: %q", rep)
	}
	if rep := in.run(t, testMessage, "v6b.test", "a@quail.test", "x@v6b.test"); !strings.HasPrefix(last(rep), "K127.0.0.2 accepted message.") {
		t.Fatalf("::1 as worse MX: %q", rep)
	}
}

// control/outgoingip chooses the local address.
func TestOutgoingIP(t *testing.T) {
	srv := startFake(t, "127.0.0.1:0", nil)
	in := newInstance(t, "", map[string]string{"smtproutes": ":127.0.0.1:" + srv.Port(), "outgoingip": "127.0.0.6"})
	rep := in.run(t, testMessage, "x.test", "a@quail.test", "x@x.test")
	if letters(rep) != "rK" {
		t.Fatalf("reports %q", rep)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.peers) != 1 || !strings.HasPrefix(srv.peers[0], "127.0.0.6:") {
		t.Fatalf("connections from %q", srv.peers)
	}
}
