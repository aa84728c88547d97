package client

import (
	"net"
	"strconv"
	"testing"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// tcpclient's messages and exit codes are Debian's, byte for byte, on the
// same failing arguments: hosts with no address (as the IPv6 patch reads
// them), connections refused, local addresses that cannot be bound, and
// programs that cannot be run.
func TestDiagnosticsMatchDebian(t *testing.T) {
	dns := dnstest.StartForPeers(t, `
a.test.    A    127.0.0.1
six.test.  AAAA ::1
both.test. A    127.0.0.1
both.test. AAAA ::1
`)
	env := []string{"PATH=/usr/bin:/bin", "DNSCACHEIP=" + dns.IP}
	// A port nothing listens on: bound, then let go of.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	// A port something listens on, for the programs that must be run.
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	listening := strconv.Itoa(open.Addr().(*net.TCPAddr).Port)

	var cases []testbin.Situation
	for _, h := range []string{
		"[127.0.0.1]", "127.1", "0x7f.0.0.1", "[::1]", "1.2.3", ":0",
		"1.2.3.4x", "::1x", "127.0.0.1 ", " 127.0.0.1", "1.2.3.4.5",
		"nosuch.test", "no such name",
	} {
		cases = append(cases, testbin.Situation{Why: "a host with no address", Args: []string{"-RH", h, closed, "true"}, Env: env})
	}
	for _, h := range []string{"127.0.0.1", "127.000.000.001", "0127.0.0.1", "127.0.0.1.", "::ffff:127.0.0.1", "a.test", "six.test", "0", ""} {
		cases = append(cases, testbin.Situation{Why: "a refused connection", Args: []string{"-RH", h, closed, "true"}, Env: env})
	}
	cases = append(cases, []testbin.Situation{
		{Why: "an unknown port name", Args: []string{"-RH", "127.0.0.1", "nosuchport", "true"}, Env: env},
		{Why: "a local address of no interface here", Args: []string{"-RH", "-i", "192.0.2.1", "127.0.0.1", closed, "true"}, Env: env},
		{Why: "a name with both kinds of address", Args: []string{"-RH", "both.test", closed, "true"}, Env: env,
			Skip: "Debian's tcpclient also tries addresses made of the A record's bytes misread (::1:0:0, 0:1::ffff ...); ours tries ::1 and then 127.0.0.1"},
		{Why: "-q keeps the connection errors quiet", Args: []string{"-qRH", "127.0.0.1", closed, "true"}, Env: env},
	}...)
	for _, c := range testbin.ChildSituations("-RH", "127.0.0.1", listening) {
		if c.Env == nil {
			c.Env = env
		} else {
			c.Env = append(c.Env, "DNSCACHEIP="+dns.IP)
		}
		cases = append(cases, c)
	}
	testbin.MatchPeer(t, "tcpclient", cases)
}

// mconnect is tcpclient -RHl0 with mconnect-io: its failures are
// tcpclient's, as in Debian's script.
func TestMconnectDiagnosticsMatchDebian(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	testbin.MatchPeer(t, "mconnect", []testbin.Situation{
		{Why: "a refused connection", Args: []string{"127.0.0.1", closed}},
		{Why: "a host with no address", Args: []string{"[127.0.0.1]", closed}},
		{Why: "an unknown port name", Args: []string{"127.0.0.1", "nosuchport"}},
	})
}
