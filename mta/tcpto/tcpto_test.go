package tcpto

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

func newHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "queue", "lock"), 0o755); err != nil {
		t.Fatal(err)
	}
	return home
}

var t0 = time.Unix(1_700_000_000, 0)

// The IPv4 record layout is qmail's, byte for byte.
func TestRecordLayout(t *testing.T) {
	home := newHome(t)
	tab := IPv4(home)
	if err := tab.Record(netip.MustParseAddr("192.0.2.7"), true, t0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(tab.Path)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{192, 0, 2, 7, 1, 0, 0, 0, 0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0}
	if !bytes.Equal(b[:16], want) {
		t.Fatalf("record = % x, want % x", b[:16], want)
	}
	tab6 := IPv6(home)
	if err := tab6.Record(netip.MustParseAddr("2001:db8::1"), true, t0); err != nil {
		t.Fatal(err)
	}
	b6, _ := os.ReadFile(tab6.Path)
	if len(b6) != 28 || b6[0] != 0x20 || b6[15] != 1 || b6[16] != 1 || !bytes.Equal(b6[20:24], want[8:12]) {
		t.Fatalf("ipv6 record = % x", b6)
	}
}

func TestRules(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.1")
	const pid = 32 // pid&31 == 0: window 3840 s
	type step struct {
		at       time.Duration // after t0
		timedOut *bool         // nil: only check
		skip     bool          // expected Skip at this time (after the step)
	}
	yes, no := true, false
	cases := []struct {
		name  string
		steps []step
	}{
		{"one timeout is not enough to skip", []step{{0, &yes, false}}},
		{"two timeouts apart are skipped", []step{{0, &yes, false}, {200 * time.Second, &yes, true}}},
		{"a second timeout within 120 s counts once", []step{{0, &yes, false}, {60 * time.Second, &yes, false}}},
		{"skipping ends after the window", []step{{0, &yes, false}, {200 * time.Second, &yes, true}, {200*time.Second + 3840*time.Second, nil, false}}},
		{"a success clears the count", []step{{0, &yes, false}, {200 * time.Second, &yes, true}, {300 * time.Second, &no, false}}},
		{"a success of an unknown address records nothing", []step{{0, &no, false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := IPv4(newHome(t))
			for i, s := range c.steps {
				now := t0.Add(s.at)
				if s.timedOut != nil {
					if err := tab.Record(ip, *s.timedOut, now); err != nil {
						t.Fatal(err)
					}
				}
				if got := tab.Skip(ip, now, pid); got != s.skip {
					t.Fatalf("step %d: Skip = %v, want %v", i, got, s.skip)
				}
			}
		})
	}
}

// The pid spreads the retry time: pid&31 adds up to 31*64 seconds.
func TestSkipWindowDependsOnPid(t *testing.T) {
	tab := IPv4(newHome(t))
	ip := netip.MustParseAddr("192.0.2.9")
	tab.Record(ip, true, t0)
	tab.Record(ip, true, t0.Add(200*time.Second))
	at := t0.Add(200*time.Second + 3900*time.Second)
	if tab.Skip(ip, at, 0) {
		t.Error("pid 0 (window 3840 s) still skips after 3900 s")
	}
	if !tab.Skip(ip, at, 31) {
		t.Error("pid 31 (window 5824 s) no longer skips after 3900 s")
	}
}

// A full table gives the slot whose time plus count*1024 s is oldest.
func TestVictim(t *testing.T) {
	tab := IPv4(newHome(t))
	for i := 0; i < Slots; i++ {
		ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		if err := tab.Record(ip, true, t0.Add(time.Duration(Slots-i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	newIP := netip.MustParseAddr("10.9.9.9")
	if err := tab.Record(newIP, true, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	es, err := tab.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != Slots {
		t.Fatalf("%d entries", len(es))
	}
	if es[Slots-1].IP != newIP {
		t.Fatalf("last slot holds %v, want the new address in place of the oldest (10.0.0.63)", es[Slots-1].IP)
	}
}

func TestProgramsEndToEnd(t *testing.T) {
	home := newHome(t)
	now := time.Now()
	IPv4(home).Record(netip.MustParseAddr("192.0.2.1"), true, now.Add(-10*time.Minute))
	IPv4(home).Record(netip.MustParseAddr("192.0.2.1"), true, now.Add(-5*time.Minute))
	IPv6(home).Record(netip.MustParseAddr("2001:db8::25"), true, now.Add(-time.Minute))
	env := []string{"QMAILHOME=" + home}
	run := func(prog string) string {
		cmd := exec.Command(testbin.Path(t, prog))
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", prog, err, out)
		}
		return string(out)
	}
	out := run("qmail-tcpto")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "192.0.2.1 timed out 3") || !strings.HasSuffix(lines[0], " seconds ago; # recent timeouts: 2") ||
		!strings.HasPrefix(lines[1], "2001:db8::25 timed out ") || !strings.HasSuffix(lines[1], "# recent timeouts: 1") {
		t.Fatalf("qmail-tcpto printed %q", out)
	}
	if out := run("qmail-tcpok"); out != "" {
		t.Fatalf("qmail-tcpok printed %q", out)
	}
	if out := run("qmail-tcpto"); out != "" {
		t.Fatalf("after qmail-tcpok, qmail-tcpto printed %q", out)
	}
	b, _ := os.ReadFile(IPv4(home).Path)
	if len(b) != 1024 || !bytes.Equal(b, make([]byte, 1024)) {
		t.Fatalf("tcpto after qmail-tcpok: %d bytes, not all zero", len(b))
	}
}

func TestMissingQueueIsFatal(t *testing.T) {
	cmd := exec.Command(testbin.Path(t, "qmail-tcpto"))
	cmd.Env = []string{"QMAILHOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 111 || !strings.HasPrefix(string(out), "qmail-tcpto: fatal: unable to read ") {
		t.Fatalf("err %v, output %q", err, out)
	}
}

// The queue is created with an empty lock/tcpto: it reads as free slots,
// and records go where qmail would put them in its 1024-byte file.
func TestEmptyFile(t *testing.T) {
	home := newHome(t)
	tab := IPv4(home)
	if err := os.WriteFile(tab.Path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if es, err := tab.Entries(); err != nil || len(es) != 0 {
		t.Fatalf("entries %v, %v", es, err)
	}
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	tab.Record(a, true, t0)
	tab.Record(b, true, t0)
	raw, _ := os.ReadFile(tab.Path)
	if len(raw) != 32 || raw[3] != 1 || raw[16+3] != 2 {
		t.Fatalf("file % x", raw)
	}
	es, _ := tab.Entries()
	if len(es) != 2 || es[0].IP != a || es[1].IP != b || !es[1].When.Equal(t0) {
		t.Fatalf("entries %v", es)
	}
}
