package tcpserver

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/quail-mta/quail/dnsclient/dnstest"
	"github.com/quail-mta/quail/internal/testbin"
)

// conn is one connection a differential case makes.
type conn struct {
	from, to string // source address ("" = any) and server address
	send     string
}

var (
	v4  = conn{to: "127.0.0.1"}
	v6  = conn{to: "::1"}
	v42 = conn{from: "127.0.0.2", to: "127.0.0.1"}
)

// diffCase runs Debian's tcpserver and ours with the same arguments,
// environment and connections, and compares what the child (env(1), the
// program, so that it prints exactly the environment it was given) sent
// back and the ok/deny log lines, with ports and pids taken out.
type diffCase struct {
	name  string
	args  []string // before host and port
	host  string
	env   []string
	conns []conn
	// want holds, per connection, a line Debian's child must have seen,
	// so that a broken setup (no DNS answers, no IDENT) cannot pass as
	// agreement.
	want []string
}

func runDiff(t *testing.T, c diffCase) {
	t.Helper()
	theirs := testbin.Peer(t, "tcpserver")
	ours := testbin.Path(t, "tcpserver")
	envProg, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env(1)")
	}
	type result struct {
		outputs []string
		log     []string
	}
	run := func(bin string) result {
		srv := startServer(t, bin, c.env, append(append([]string{"-v"}, c.args...), c.host, "0", envProg)...)
		var r result
		for _, cn := range c.conns {
			r.outputs = append(r.outputs, normalEnv(talk(t, cn.from, cn.to, srv.Port, cn.send)))
		}
		lines := srv.waitLog(`^tcpserver: (ok|deny) `, len(c.conns))
		for _, l := range lines {
			r.log = append(r.log, normalLog(l))
		}
		sort.Strings(r.log)
		return r
	}
	want, got := run(theirs), run(ours)
	for i, w := range c.want {
		if w != "" && !strings.Contains("\n"+want.outputs[i]+"\n", "\n"+w+"\n") {
			t.Fatalf("%s: connection %d: Debian's child did not see %q:\n%s", c.name, i, w, want.outputs[i])
		}
	}
	for i := range c.conns {
		if want.outputs[i] != got.outputs[i] {
			t.Errorf("%s: connection %d (%+v): environment differs\nDebian's:\n%s\nours:\n%s", c.name, i, c.conns[i], want.outputs[i], got.outputs[i])
		}
	}
	if strings.Join(want.log, "\n") != strings.Join(got.log, "\n") {
		t.Errorf("%s: log lines differ\nDebian's:\n%s\nours:\n%s", c.name, strings.Join(want.log, "\n"), strings.Join(got.log, "\n"))
	}
}

var (
	logPid  = regexp.MustCompile(`^(tcpserver: \w+) \d+ `)
	logPort = regexp.MustCompile(`:\d+( |$)`)
)

// normalLog takes the pid and the ports out of an ok or deny line. Ours
// logs a refused connection with pid 0, as no child exists for it.
func normalLog(l string) string {
	l = logPid.ReplaceAllString(l, "$1 PID ")
	return logPort.ReplaceAllString(l, ":PORT$1")
}

func baseEnv(extra ...string) []string {
	return append([]string{"PATH=/usr/bin:/bin"}, extra...)
}

// TestCompatEnvironment covers what needs no DNS and no IDENT: -l names
// the local host, -H and -R keep the lookups off.
func TestCompatEnvironment(t *testing.T) {
	for _, c := range []diffCase{
		{name: "dual stack, both families", args: []string{"-HR", "-l", "here.test"}, host: "0", conns: []conn{v4, v6},
			want: []string{"TCP6REMOTEIP=::ffff:127.0.0.1", "PROTO=TCP6"}},
		{name: "IPv4 listener", args: []string{"-HR", "-l", "here"}, host: "127.0.0.1", conns: []conn{v4, v42}},
		{name: "IPv6 listener", args: []string{"-HR", "-l", "here"}, host: "::1", conns: []conn{v6}},
		{name: "-6 maps IPv4 peers", args: []string{"-HR6", "-l", "here"}, host: "0", conns: []conn{v4, v6}},
		{name: "-4 listens on IPv4 only", args: []string{"-HR4", "-l", "x"}, host: "0", conns: []conn{v4}},
		{name: "banner comes first, unescaped", args: []string{"-HR", "-l", "x", "-B", `220 hi\r\n`}, host: "0", conns: []conn{v4}},
		{name: "inherited UCSPI variables are replaced or removed",
			args: []string{"-HR", "-l", "x"}, host: "0", conns: []conn{v4, v6},
			env: []string{"TCPREMOTEHOST=stale", "TCPREMOTEINFO=stale", "TCP6REMOTEHOST=stale", "PROTO=UDP", "TCPLOCALHOST=stale"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env = baseEnv(c.env...)
			runDiff(t, c)
		})
	}
}

// TestCompatRules compiles one rules file with Debian's tcprules and runs
// both servers on it: deny, allow with variables (an empty value sets an
// empty variable), per-address and default rules, IPv6 keys.
func TestCompatRules(t *testing.T) {
	cdb := compileRules(t, `127.0.0.1:allow,FOO="bar",TCPREMOTEHOST="",TCPLOCALHOST=/over/
127.0.0.2:deny
::1:allow,SIX="6"
:allow,DEFAULT="yes"
`)
	runDiff(t, diffCase{name: "rules", args: []string{"-HR", "-l", "here", "-x", cdb}, host: "0", env: baseEnv(), conns: []conn{v4, v42, v6},
		want: []string{"FOO=bar", "", "SIX=6"}})
	t.Run("a denied client still gets the banner", func(t *testing.T) {
		runDiff(t, diffCase{name: "banner", args: []string{"-HR", "-l", "here", "-B", "banner\n", "-x", cdb}, host: "0", env: baseEnv(),
			conns: []conn{v42, v4}, want: []string{"banner", "FOO=bar"}})
	})
	t.Run("missing file drops unless -X", func(t *testing.T) {
		runDiffNoLog(t, diffCase{name: "-X", args: []string{"-HRX", "-l", "here", "-x", "/nonexistent/rules.cdb"}, host: "0", env: baseEnv(), conns: []conn{v4}})
	})
}

// runDiffNoLog compares only what the clients see.
func runDiffNoLog(t *testing.T, c diffCase) {
	t.Helper()
	theirs := testbin.Peer(t, "tcpserver")
	ours := testbin.Path(t, "tcpserver")
	for _, cn := range c.conns {
		var outs []string
		for _, bin := range []string{theirs, ours} {
			srv := startServer(t, bin, c.env, append(c.args, c.host, "0", "env")...)
			outs = append(outs, normalEnv(talk(t, cn.from, cn.to, srv.Port, "")))
		}
		if outs[0] != outs[1] {
			t.Errorf("%s: Debian's child saw\n%s\nours\n%s", c.name, outs[0], outs[1])
		}
	}
}

func compileRules(t *testing.T, text string) string {
	t.Helper()
	tcprules := testbin.Peer(t, "tcprules")
	dir := t.TempDir()
	cdb := filepath.Join(dir, "rules.cdb")
	cmd := exec.Command(tcprules, cdb, cdb+".tmp")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tcprules: %v: %s", err, out)
	}
	return cdb
}

const compatZone = `
1.0.0.127.in-addr.arpa.  PTR  one.test.
one.test.                A    127.0.0.1
2.0.0.127.in-addr.arpa.  PTR  liar.test.
liar.test.               A    192.0.2.9
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. PTR six.test.
six.test.                AAAA ::1
`

// TestCompatDNS serves PTR and A records from a test DNS server on port 53
// of a spare loopback address, which Debian's tcpserver reads from
// $DNSCACHEIP, and compares -h, -p and the local-name lookup, alone and
// with rules on =host keys.
func TestCompatDNS(t *testing.T) {
	ip := testbin.SpareLoopback(t, 53)
	if _, err := dnstest.StartAt(t, ip+":53", compatZone); err != nil {
		t.Skipf("cannot run a DNS server on %s:53: %v", ip, err)
	}
	env := baseEnv("DNSCACHEIP=" + ip)
	cdb := compileRules(t, `=one.test:allow,NAMED="one"
=.test:allow,SUFFIX="test"
127.0.0.2:allow,BYIP="two"
`)
	for _, c := range []diffCase{
		{name: "-h with the local name looked up", args: []string{"-R"}, host: "0", conns: []conn{v4, v42, v6},
			want: []string{"TCPREMOTEHOST=one.test", "TCPREMOTEHOST=liar.test", "TCPREMOTEHOST=six.test"}},
		{name: "-p drops a name that does not map back", args: []string{"-Rp"}, host: "0", conns: []conn{v4, v42, v6}},
		{name: "-H still looks up the local name", args: []string{"-RH"}, host: "0", conns: []conn{v4, v6}},
		{name: "rules on host names", args: []string{"-Rp", "-x", cdb}, host: "0", conns: []conn{v4, v42, v6},
			want: []string{"NAMED=one", "BYIP=two", "SUFFIX=test"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env = env
			runDiff(t, c)
		})
	}
}

// TestCompatIdent runs a fake IDENT server on port 113 of a spare loopback
// address, connects from that address, and compares the TCPREMOTEINFO that
// each reply gives (the default -r), and the log field built from it.
func TestCompatIdent(t *testing.T) {
	ip := testbin.SpareLoopback(t, 113)
	for _, reply := range []string{
		"%d , %d : USERID : UNIX : joe\r\n",
		"%d , %d : USERID : UNIX : " + strings.Repeat("long", 40) + "\r\n",
		"%d , %d : USERID : UNIX :  joe smith \r\n",
		"%d,%d:USERID:UNIX:a:b\r\n",
		"%d , %d : ERROR : NO-USER\r\n",
		"%d , %d : USERID : UNIX : joe",
		"%d , %d : USERID : OTHER :\tj\ro\xe9%%e\x01x\r\n",
	} {
		t.Run(strings.TrimSpace(reply), func(t *testing.T) {
			l, err := net.Listen("tcp", ip+":113")
			if err != nil {
				t.Skipf("cannot listen on %s:113: %v", ip, err)
			}
			defer l.Close()
			go fakeIdentd(l, reply)
			want := ""
			if strings.Contains(reply, "joe\r") {
				want = "TCPREMOTEINFO=joe"
			}
			runDiff(t, diffCase{name: reply, args: []string{"-H", "-l", "x", "-t", "5"}, host: "0", env: baseEnv(),
				conns: []conn{{from: ip, to: "127.0.0.1"}}, want: []string{want}})
		})
	}
}

// fakeIdentd answers every query with reply, filled with the query's ports.
func fakeIdentd(l net.Listener, reply string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		var rport, lport int
		fmt.Fscanf(c, "%d , %d\r\n", &rport, &lport)
		fmt.Fprintf(c, reply, rport, lport)
		c.Close()
	}
}
