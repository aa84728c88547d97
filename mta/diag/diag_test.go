package diag_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

const zone = `
www.test.          CNAME alias.test.
alias.test.        CNAME Mail.Test.
mail.test.         A     192.0.2.25
mail.test.         AAAA  2001:db8::25
loop1.test.        CNAME loop2.test.
loop2.test.        CNAME loop1.test.
25.2.0.192.in-addr.arpa. PTR Mail.Test.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR six.test.
example.test.      MX    20 backup.test.
example.test.      MX    10 mail.test.
backup.test.       A     192.0.2.26
implicit.test.     A     192.0.2.30
txtonly.test.      TXT   "no address"
null.test.         MX    0 .
host.sub.test.     A     192.0.2.25
`

// The programs' output forms are those of qmail 1.03's dnscname.c,
// dnsptr.c, dnsip.c, dnsmxip.c and dnsfq.c: one name, or one address (with
// " PREF" for dnsmxip) a line; their exit codes dnsdoe.c's: 100 for a hard
// error, 111 for a soft one.
func TestDNSPrograms(t *testing.T) {
	srv := dnstest.Start(t, zone)
	srv.Fail("down.test", dnstest.ServFail)
	srv.Fail("99.2.0.192.in-addr.arpa", dnstest.ServFail)
	env := []string{"PATH=/usr/bin:/bin", "DNSCACHEIP=" + srv.Addr, "LOCALDOMAIN=sub.test"}
	tests := []struct {
		why    string
		argv   []string
		stdout string
		stderr string // a prefix
		code   int
	}{
		{"a CNAME chain to its end, lower-cased", []string{"dnscname", "www.test"}, "mail.test\n", "", 0},
		{"a trailing dot dropped", []string{"dnscname", "www.test."}, "mail.test\n", "", 0},
		{"a name that is no alias", []string{"dnscname", "mail.test"}, "mail.test\n", "", 0},
		{"a name that does not exist is its own end (dns_cname)", []string{"dnscname", "nosuch.test"}, "nosuch.test\n", "", 0},
		{"an address literal is not looked up", []string{"dnscname", "[192.0.2.1]"}, "[192.0.2.1]\n", "", 0},
		{"an alias loop", []string{"dnscname", "loop1.test"}, "", "dnscname: fatal: unable to look up loop1.test: hard error: CNAME chain too long\n", 100},
		{"a server failure", []string{"dnscname", "down.test"}, "", "dnscname: fatal: unable to look up down.test: soft error: ", 111},
		{"no name", []string{"dnscname"}, "", "dnscname: usage: dnscname name\n", 100},

		{"an IPv4 PTR", []string{"dnsptr", "192.0.2.25"}, "mail.test\n", "", 0},
		{"an IPv6 PTR", []string{"dnsptr", "2001:db8::25"}, "six.test\n", "", 0},
		{"no PTR", []string{"dnsptr", "192.0.2.7"}, "", "dnsptr: fatal: unable to look up 192.0.2.7: hard error: no such name\n", 100},
		{"a PTR server failure", []string{"dnsptr", "192.0.2.99"}, "", "dnsptr: fatal: unable to look up 192.0.2.99: soft error: ", 111},
		{"not an address", []string{"dnsptr", "mail.test"}, "", "dnsptr: fatal: unable to parse IP address mail.test\n", 100},
		{"no address", []string{"dnsptr"}, "", "dnsptr: usage: dnsptr ip\n", 100},

		{"A then AAAA", []string{"dnsip", "mail.test"}, "192.0.2.25\n2001:db8::25\n", "", 0},
		{"through CNAMEs", []string{"dnsip", "www.test"}, "192.0.2.25\n2001:db8::25\n", "", 0},
		{"a literal as it is", []string{"dnsip", "192.0.2.1"}, "192.0.2.1\n", "", 0},
		{"a bracketed literal", []string{"dnsip", "[192.0.2.1]"}, "192.0.2.1\n", "", 0},
		{"no such name", []string{"dnsip", "nosuch.test"}, "", "dnsip: fatal: unable to look up nosuch.test: hard error: Sorry, I couldn't find any host named nosuch.test. (#5.1.2)\n", 100},
		{"a server failure", []string{"dnsip", "down.test"}, "", "dnsip: fatal: unable to look up down.test: soft error: ", 111},

		{"MX by preference, each exchanger's addresses", []string{"dnsmxip", "example.test"}, "192.0.2.25 10\n2001:db8::25 10\n192.0.2.26 20\n", "", 0},
		{"no MX: the name's own address, preference 0", []string{"dnsmxip", "implicit.test"}, "192.0.2.30 0\n", "", 0},
		{"a bracketed literal", []string{"dnsmxip", "[192.0.2.1]"}, "192.0.2.1 0\n", "", 0},
		{"a null MX", []string{"dnsmxip", "null.test"}, "", "dnsmxip: fatal: unable to look up null.test: hard error: Sorry, null.test does not accept mail (null MX). (#5.1.10)\n", 100},
		{"no such name", []string{"dnsmxip", "nosuch.test"}, "", "dnsmxip: fatal: unable to look up nosuch.test: hard error: ", 100},
		{"a server failure", []string{"dnsmxip", "down.test"}, "", "dnsmxip: fatal: unable to look up down.test: soft error: ", 111},

		{"a dotless name through the search list, then its PTR", []string{"dnsfq", "host"}, "mail.test\n", "", 0},
		{"a dotted name as it is", []string{"dnsfq", "www.test"}, "mail.test\n", "", 0},
		{"no address", []string{"dnsfq", "txtonly.test"}, "", "dnsfq: fatal: unable to look up txtonly.test: hard error: no data of that type\n", 100},
		{"no such name", []string{"dnsfq", "nosuch"}, "", "dnsfq: fatal: unable to look up nosuch: hard error: no such name\n", 100},
		{"a server failure", []string{"dnsfq", "down.test"}, "", "dnsfq: fatal: unable to look up down.test: soft error: ", 111},
	}
	for _, tt := range tests {
		cmd := exec.Command(testbin.Path(t, tt.argv[0]), tt.argv[1:]...)
		cmd.Env = env
		stdout, stderr, code := testbin.Run(t, cmd)
		if stdout != tt.stdout || code != tt.code || !strings.HasPrefix(stderr, tt.stderr) || (tt.stderr == "" && stderr != "") {
			t.Errorf("%s: %q: stdout %q, stderr %q, exit %d; want %q, %q, %d", tt.why, tt.argv, stdout, stderr, code, tt.stdout, tt.stderr, tt.code)
		}
	}
	if n := srv.Asked("192.0.2.1", "CNAME"); n != 0 {
		t.Errorf("an address literal was looked up %d times", n)
	}
}

// ipmeprint prints 0.0.0.0 and :: first, then the addresses of the
// interfaces that are up, then control/moreipme. The interfaces' part is
// compared with what iproute2's "ip addr show up" lists.
func TestIPMePrint(t *testing.T) {
	ipTool := testbin.Peer(t, "ip")
	home := t.TempDir()
	testbin.WriteFiles(t, home, map[string]string{"control/moreipme": "198.51.100.7\nnot an address\n2001:db8::77\n127.0.0.1\n"})
	cmd := exec.Command(testbin.Path(t, "ipmeprint"))
	cmd.Env = []string{"QMAILHOME=" + home}
	stdout, stderr, code := testbin.Run(t, cmd)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) < 4 || lines[0] != "0.0.0.0" || lines[1] != "::" {
		t.Fatalf("ipmeprint:\n%s", stdout)
	}
	if got := lines[len(lines)-2:]; got[0] != "198.51.100.7" || got[1] != "2001:db8::77" {
		t.Errorf("control/moreipme's addresses, each once, last: %q", lines)
	}
	ifaces := append([]string(nil), lines[2:len(lines)-2]...)
	out, err := exec.Command(ipTool, "-o", "addr", "show", "up").Output()
	if err != nil {
		t.Fatalf("ip addr: %v", err)
	}
	addr := regexp.MustCompile(`\binet6? ([0-9a-f.:]+)/`)
	var want []string
	for _, m := range addr.FindAllStringSubmatch(string(out), -1) {
		want = append(want, m[1])
	}
	sort.Strings(ifaces)
	sort.Strings(want)
	if strings.Join(ifaces, " ") != strings.Join(want, " ") {
		t.Errorf("interface addresses %q, ip addr show up lists %q", ifaces, want)
	}
	os.WriteFile(filepath.Join(home, "control", "moreipme"), nil, 0o000)
	if os.Geteuid() != 0 {
		cmd = exec.Command(testbin.Path(t, "ipmeprint"))
		cmd.Env = []string{"QMAILHOME=" + home}
		if _, stderr, code := testbin.Run(t, cmd); code != 111 || !strings.HasPrefix(stderr, "ipmeprint: fatal: unable to read controls: ") {
			t.Errorf("unreadable moreipme: exit %d, stderr %q", code, stderr)
		}
	}
}
