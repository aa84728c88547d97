package rules

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// runTool runs a program with stdin and exactly env, bounded in time:
// Debian's tcprules spins forever on some inputs, which a test must never
// feed it, and a hang must fail the test rather than stall the suite.
func runTool(t *testing.T, dir, bin string, args []string, stdin []byte, env []string) (stdout, stderr []byte, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{}, env...) // never the test's own environment
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish", bin, args)
	}
	return o.Bytes(), e.Bytes(), testbin.ExitCode(t, err)
}

type toolPair struct{ ours, theirs string }

func rulesTools(t *testing.T) (rules, check toolPair) {
	rules = toolPair{testbin.Path(t, "tcprules"), testbin.Peer(t, "tcprules")}
	check = toolPair{testbin.Path(t, "tcprulescheck"), testbin.Peer(t, "tcprulescheck")}
	return
}

// compileBoth compiles text with both tools and fails unless the cdbs are
// byte-identical. It returns the path of ours.
func compileBoth(t *testing.T, tools toolPair, name string, text []byte) string {
	t.Helper()
	dir := t.TempDir()
	_, theirErr, theirCode := runTool(t, dir, tools.theirs, []string{"theirs.cdb", "theirs.tmp"}, text, nil)
	_, ourErr, ourCode := runTool(t, dir, tools.ours, []string{"ours.cdb", "ours.tmp"}, text, nil)
	if theirCode != 0 || ourCode != 0 {
		t.Fatalf("%s: exit codes differ or fail: Debian %d (%s), ours %d (%s)", name, theirCode, theirErr, ourCode, ourErr)
	}
	theirs, err := os.ReadFile(filepath.Join(dir, "theirs.cdb"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(filepath.Join(dir, "ours.cdb"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("%s: cdb differs from Debian's (ours %d bytes, theirs %d)", name, len(ours), len(theirs))
	}
	return filepath.Join(dir, "ours.cdb")
}

// checkBoth runs both tcprulescheck programs on the same cdb for each query
// (a list of environment entries) and compares output and exit code.
func checkBoth(t *testing.T, tools toolPair, name, cdbPath string, queries [][]string) {
	t.Helper()
	dir := filepath.Dir(cdbPath)
	for _, env := range queries {
		o1, _, c1 := runTool(t, dir, tools.theirs, []string{cdbPath}, nil, env)
		o2, _, c2 := runTool(t, dir, tools.ours, []string{cdbPath}, nil, env)
		if c1 != c2 || !bytes.Equal(o1, o2) {
			t.Errorf("%s: tcprulescheck with %q:\nDebian (exit %d):\n%s\nours (exit %d):\n%s", name, env, c1, o1, c2, o2)
		}
	}
}

// compatQueries crosses the addresses, hosts and IDENT answers the corpus
// mentions; an entry "" for host or info means the variable is unset, "=" an
// empty value.
func compatQueries() [][]string {
	ips := []string{"", "0.0.0.0", "127.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.7.7", "10.2", "10.4.1.1",
		"192.168.1.15", "192.168.1.21", "192.168.0.1", "1.2.3.4", "1.2.3.6", "1.2.3.255", "1.0.0.1", "1.0.0.3",
		"1.0.0.7", "1.0.0.9", "::1", "2001:db8::1", "2001:db8:1::5", "2001:db8::7", "fe80::1%eth0", "172.16.3.7", "10.9.9.9"}
	hosts := []string{"", "=", "mail.example.com", "a.b.example.org", "localhost", "host:name"}
	infos := []string{"", "=", "joe"}
	var out [][]string
	for i, ip := range ips {
		for j, h := range hosts {
			for k, in := range infos {
				// A full cross is slow to run twice per file; keep every
				// address with every host, and IDENT answers on a stride.
				if k != 0 && (i+j+k)%3 != 0 {
					continue
				}
				var env []string
				if ip != "" {
					env = append(env, "TCPREMOTEIP="+ip)
				}
				env = appendVar(env, "TCPREMOTEHOST", h)
				env = appendVar(env, "TCPREMOTEINFO", in)
				out = append(out, env)
			}
		}
	}
	return out
}

func appendVar(env []string, name, v string) []string {
	switch v {
	case "":
		return env
	case "=":
		return append(env, name+"=")
	}
	return append(env, name+"="+v)
}

func TestCompatCorpus(t *testing.T) {
	rules, check := rulesTools(t)
	files, err := filepath.Glob("testdata/compat/*.rules")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	queries := compatQueries()
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			cdbPath := compileBoth(t, rules, name, text)
			checkBoth(t, check, name, cdbPath, queries)
		})
	}
}

// TestCompatRandom compiles generated rules files, with many keys so that
// hash tables fill and collide, and checks the cdbs are byte-identical.
func TestCompatRandom(t *testing.T) {
	rules, check := rulesTools(t)
	for seed := int64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewSource(seed))
		text, addrs := randomRules(rng, 50+rng.Intn(400))
		name := fmt.Sprintf("seed%d", seed)
		cdbPath := compileBoth(t, rules, name, text)
		if seed <= 3 {
			var queries [][]string
			for i := 0; i < 15; i++ {
				queries = append(queries, []string{"TCPREMOTEIP=" + addrs[rng.Intn(len(addrs))]})
			}
			checkBoth(t, check, name, cdbPath, queries)
		}
	}
}

// randomRules writes n lines Debian's tcprules accepts (it spins on some
// it cannot parse, so none are generated), and returns the addresses used.
func randomRules(rng *rand.Rand, n int) ([]byte, []string) {
	var b bytes.Buffer
	var addrs []string
	octet := func() string { return fmt.Sprint(rng.Intn(256)) }
	for i := 0; i < n; i++ {
		var addr string
		switch rng.Intn(9) {
		case 0:
			b.WriteString("# comment " + octet() + "\n")
			continue
		case 1:
			b.WriteString("\n")
			continue
		case 2:
			addr = octet() + "." + octet() + "." + octet() + "." + octet()
		case 3:
			addr = octet() + "." + octet() + "."
		case 4:
			lo := rng.Intn(256)
			addr = "10." + octet() + "." + octet() + "." + fmt.Sprint(lo) + "-" + fmt.Sprint(lo+rng.Intn(10))
		case 5:
			addr = fmt.Sprintf("2001:db8:%x::%x", rng.Intn(65536), rng.Intn(65536))
		case 6:
			addr = "=h" + octet() + ".example.com"
		case 7:
			addr = "u" + octet() + "@" + octet() + ".0.0.1"
		default:
			raw := make([]byte, rng.Intn(12))
			for j := range raw {
				// Any byte but LF and ':'; '#' never first; no
				// trailing blank, and no '-' (ranges need digits).
				for raw[j] == 0 || raw[j] == '\n' || raw[j] == ':' || raw[j] == '-' || (j == 0 && raw[j] == '#') {
					raw[j] = byte(rng.Intn(256))
				}
			}
			addr = strings.TrimRight(string(raw), " \t")
			if strings.HasPrefix(addr, "#") {
				addr = "x" + addr
			}
		}
		addrs = append(addrs, addr)
		b.WriteString(addr)
		if rng.Intn(3) == 0 {
			b.WriteString(":deny")
		} else {
			b.WriteString(":allow")
		}
		for v := rng.Intn(4); v > 0; v-- {
			quotes := `"'/|x,=:`
			q := quotes[rng.Intn(len(quotes))]
			val := strings.ReplaceAll(fmt.Sprintf("v%d %d", rng.Intn(1000), rng.Intn(1000)), string(q), "")
			fmt.Fprintf(&b, ",V%d=%c%s%c", rng.Intn(5), q, val, q)
		}
		if rng.Intn(4) == 0 {
			b.WriteString(" \t")
		}
		b.WriteString("\n")
	}
	return b.Bytes(), addrs
}

// TestCompatParseErrors feeds lines both tools refuse (never one Debian
// spins on) and checks both exit 100 and leave the existing cdb alone.
func TestCompatParseErrors(t *testing.T) {
	rules, _ := rulesTools(t)
	bad := []string{
		"1:denyX", "1:allow,X", "1:allow,X=", "1:allow,X=/abc", "1:allow X", "1:allow\r",
		"1:allowdeny", "1:deny:allow", "1.2.3.a5-7:deny", "1-2-3.4:deny", "2001:db8::1-5:allow",
		"1:allow,A=/x/B=/y/", "1:allow,A=/x/ ,B=/y/", "1:allow,",
	}
	for _, line := range bad {
		text := []byte("9.9.9.9:allow\n" + line + "\n8.8.8.8:deny\n")
		for _, tool := range []string{rules.theirs, rules.ours} {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "r.cdb"), []byte("old"), 0644)
			_, stderr, code := runTool(t, dir, tool, []string{"r.cdb", "r.tmp"}, text, nil)
			if code != 100 {
				t.Errorf("%s on %q: exit %d (%s), want 100", tool, line, code, stderr)
			}
			if !bytes.Contains(stderr, []byte(line)) {
				t.Errorf("%s on %q: message %q does not show the line", tool, line, stderr)
			}
			if old, _ := os.ReadFile(filepath.Join(dir, "r.cdb")); string(old) != "old" {
				t.Errorf("%s on %q: existing cdb changed", tool, line)
			}
		}
	}
}
