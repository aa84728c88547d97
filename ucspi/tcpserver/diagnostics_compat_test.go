package tcpserver

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// hostZone is the DNS both tcpservers ask.
const hostZone = `
a.test.     A    127.0.0.1
six.test.   AAAA ::1
`

// badHosts are host arguments that give no address, as Debian's
// ucspi-tcp-ipv6 reads them: brackets and short dotted forms are no
// address, an address with more after it fails the scanner, a name that
// does not exist has no IP address.
var badHosts = []string{
	"[127.0.0.1]", "127.1", "0x7f.0.0.1", "[::1]", "1.2.3", ":0:",
	"1.2.3.4x", "::1x", "127.0.0.1 ", " 127.0.0.1", "1.2.3.4.5", "1:2:3:4:5:6:7:8:9",
	"nosuch.test", "no such name",
}

// tcpserver's fatal messages and exit codes are Debian's, byte for byte,
// on the same failing arguments.
func TestDiagnosticsMatchDebian(t *testing.T) {
	dns := dnstest.StartForPeers(t, hostZone)
	env := []string{"PATH=/usr/bin:/bin", "DNSCACHEIP=" + dns.IP}
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)

	var cases []testbin.Situation
	for _, h := range badHosts {
		cases = append(cases, testbin.Situation{Why: "a host with no address", Args: []string{"-RH", h, "0", "true"}, Env: env})
	}
	testbin.MatchPeer(t, "tcpserver", append(cases, []testbin.Situation{
		{Why: "an unknown port name", Args: []string{"-RH", "127.0.0.1", "nosuchport", "true"}, Env: env},
		{Why: "an address of no interface here", Args: []string{"-RH", "192.0.2.1", "0", "true"}, Env: env},
		{Why: "a port in use", Args: []string{"-RH", "127.0.0.1", heldPort, "true"}, Env: env},
		{Why: "leading zeros are decimal: the port in use again", Args: []string{"-RH", "127.000.000.001", heldPort, "true"}, Env: env},
		{Why: "a trailing dot is dropped", Args: []string{"-RH", "127.0.0.1.", heldPort, "true"}, Env: env},
		{Why: "a name's address", Args: []string{"-RH", "a.test", heldPort, "true"}, Env: env},
		{Why: "-4 and an IPv6 address", Args: []string{"-4", "-RH", "::1", "0", "true"}, Env: env},
		{Why: "no program", Args: []string{"-RH", "127.0.0.1", "0"}, Env: env, Skip: "the usage line lists -C, which this tcpserver adds (tcpserver.1)"},
	}...))
}

// With -1, the original prints the port, lets go of its standard input
// and output, and only then logs its first status line: on one pipe for
// both, the port comes first, and a reader of standard output alone sees
// its end right after the port.
func TestPortLineMatchesDebian(t *testing.T) {
	for _, bin := range []string{testbin.Peer(t, "tcpserver"), testbin.Path(t, "tcpserver")} {
		both, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-v", "-1", "-RHl0", "127.0.0.1", "0", "true")
		cmd.Stdout, cmd.Stderr = w, w
		p := testbin.Start(t, cmd)
		w.Close()
		r := bufio.NewReader(both)
		both.SetReadDeadline(time.Now().Add(10 * time.Second))
		port, err1 := r.ReadString('\n')
		status, err2 := r.ReadString('\n')
		if err1 != nil || err2 != nil || strings.Trim(port, "0123456789") != "\n" || status != "tcpserver: status: 0/40\n" {
			t.Errorf("%s -v -1: lines %q, %q (%v, %v); want the port, then the status line", bin, port, status, err1, err2)
		}
		p.Cmd.Process.Kill()
		both.Close()

		out, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(bin, "-1", "-RHl0", "127.0.0.1", "0", "true")
		cmd.Stdout = w
		testbin.Start(t, cmd)
		w.Close()
		out.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(out)
		if err != nil || strings.Trim(string(got), "0123456789") != "\n" {
			t.Errorf("%s -1: standard output %q, %v; want the port and its end", bin, got, err)
		}
		out.Close()
	}
}
