package throttle

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// clock is a settable time for the tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{time.Unix(1_800_000_000, 0)} }
func home(t testing.TB) string           { h := t.TempDir(); os.Mkdir(filepath.Join(h, Dir), 0o700); return h }
func mustNil(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
func decision(d Decision, err error) string { return fmt.Sprintf("%+v %v", d, err) }

// The address policy step by step: ten failures, then refusals of one,
// two, four minutes ... that each let one more attempt through when they
// end; an hour without failures forgives one.
func TestAddressPolicy(t *testing.T) {
	c := newClock()
	th := New(home(t), c.now)
	for i := 1; i <= 9; i++ {
		d, err := th.Failed("192.0.2.7", fmt.Sprintf("user%d", i))
		want := Decision{Failures: i, Delay: min(time.Duration(i)*time.Second, MaxDelay)}
		if d != want || err != nil {
			t.Fatalf("failure %d: %s, want %+v", i, decision(d, err), want)
		}
		if d, err := th.Check("192.0.2.7", "other"); d.Refused || err != nil {
			t.Fatalf("refused after %d failures: %s", i, decision(d, err))
		}
	}
	steps := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour}
	for i, block := range steps {
		n := 10 + i
		d, _ := th.Failed("192.0.2.7", fmt.Sprintf("user%d", n))
		if want := (Decision{By: "address", Failures: n, Retry: block, Blocked: true, Delay: MaxDelay}); d != want {
			t.Fatalf("failure %d: %+v, want %+v", n, d, want)
		}
		c.advance(block - time.Second)
		if d, _ := th.Check("192.0.2.7", "anyone"); !d.Refused || d.Retry != time.Second || d.By != "address" {
			t.Fatalf("failure %d: a second before the end: %+v", n, d)
		}
		if d, _ := th.Check("192.0.2.99", "anyone"); d.Refused {
			t.Fatalf("another address refused: %+v", d)
		}
		c.advance(time.Second)
		if d, _ := th.Check("192.0.2.7", "anyone"); d.Refused {
			t.Fatalf("failure %d: still refused when the block ended: %+v", n, d)
		}
	}
	// 16 failures; seven hours without one leave nine: the next refuses
	// for a minute, as the tenth did.
	c.advance(6 * time.Hour)
	d, _ := th.Failed("192.0.2.7", "x")
	if want := (Decision{By: "address", Failures: 10, Retry: time.Minute, Blocked: true, Delay: MaxDelay}); d != want {
		t.Errorf("after seven quiet hours: %+v, want %+v", d, want)
	}
}

// An account gets thirty failures from any number of addresses, then
// refusals up to a quarter of an hour, for every address; a good login
// clears it.
func TestAccountPolicy(t *testing.T) {
	c := newClock()
	th := New(home(t), c.now)
	for i := 1; i < AccountPolicy.Free; i++ {
		if d, _ := th.Failed(fmt.Sprintf("198.51.100.%d", i), "alice"); d.Blocked {
			t.Fatalf("blocked after %d failures: %+v", i, d)
		}
	}
	d, _ := th.Failed("203.0.113.1", "alice")
	if want := (Decision{By: "account", Failures: 30, Retry: time.Minute, Blocked: true, Delay: time.Second}); d != want {
		t.Fatalf("thirtieth failure: %+v, want %+v", d, want)
	}
	if d, _ := th.Check("203.0.113.200", "alice"); !d.Refused || d.By != "account" {
		t.Errorf("alice not refused from a fresh address: %+v", d)
	}
	if d, _ := th.Check("203.0.113.200", "bob"); d.Refused {
		t.Errorf("bob refused: %+v", d)
	}
	for i := 0; i < 6; i++ {
		c.advance(16 * time.Minute) // past every block, before any forgiving
		th.Failed(fmt.Sprintf("203.0.113.%d", 10+i), "alice")
	}
	c.advance(time.Second)
	if d, _ := th.Check("203.0.113.200", "alice"); d.Retry != 15*time.Minute-time.Second {
		t.Errorf("the account's refusal passed its ceiling: %+v", d)
	}
	c.advance(15 * time.Minute)
	mustNil(t, th.Succeeded("203.0.113.200", "alice"))
	if d, _ := th.Failed("203.0.113.201", "alice"); d.Blocked {
		t.Errorf("a good login did not clear the account: %+v", d)
	}
}

// Addresses in control/throttleallow are neither counted nor refused;
// an IPv6 client is counted by its /64, and an IPv4-mapped one as IPv4.
func TestAllowAndAddressForms(t *testing.T) {
	c := newClock()
	h := home(t)
	os.MkdirAll(filepath.Join(h, "control"), 0o755)
	os.WriteFile(filepath.Join(h, AllowFile), []byte("# the office\n192.0.2.\n2001:db8:1::/48\n"), 0o644)
	th := New(h, c.now)
	for i := 0; i < 50; i++ {
		for _, ip := range []string{"192.0.2.7", "2001:db8:1:2::3", "::ffff:192.0.2.8"} {
			if d, err := th.Failed(ip, ""); d != (Decision{}) || err != nil {
				t.Fatalf("%s counted: %s", ip, decision(d, err))
			}
		}
		th.Failed("2001:db8:2:3::"+strconv.Itoa(i+1), "")
		th.Failed("::ffff:198.51.100.1", "")
	}
	if d, _ := th.Check("2001:db8:2:3:ffff::1", ""); !d.Refused {
		t.Errorf("another address of the /64 is not refused: %+v", d)
	}
	if d, _ := th.Check("2001:db8:2:4::1", ""); d.Refused {
		t.Errorf("the next /64 is refused: %+v", d)
	}
	if d, _ := th.Check("198.51.100.1", ""); !d.Refused {
		t.Errorf("the mapped address was not counted as IPv4: %+v", d)
	}
	if d, _ := th.Check("192.0.2.7", ""); d.Refused {
		t.Errorf("an allowed address refused: %+v", d)
	}
}

// Without the state directory (a home quail-setup did not make) nothing
// is counted and nothing is written.
func TestNoDirectoryNoThrottle(t *testing.T) {
	h := t.TempDir()
	th := New(h, newClock().now)
	for i := 0; i < 20; i++ {
		if d, err := th.Failed("192.0.2.7", "alice"); d != (Decision{}) || err != nil {
			t.Fatalf("%s", decision(d, err))
		}
	}
	if d, err := th.Check("192.0.2.7", "alice"); d.Refused || err != nil {
		t.Fatalf("%s", decision(d, err))
	}
	if ents, _ := os.ReadDir(h); len(ents) != 0 {
		t.Errorf("files were made: %v", ents)
	}
	var none *Throttle
	if d, err := none.Failed("192.0.2.7", "alice"); d != (Decision{}) || err != nil {
		t.Errorf("nil throttle: %s", decision(d, err))
	}
}

// A bad line of the allow list is reported once, and the others count.
func TestAllowWarning(t *testing.T) {
	h := home(t)
	os.MkdirAll(filepath.Join(h, "control"), 0o755)
	os.WriteFile(filepath.Join(h, AllowFile), []byte("192.0.2.7\nnot an address\n"), 0o644)
	th := New(h, newClock().now)
	_, err := th.Failed("192.0.2.7", "")
	if !errors.Is(err, ErrBadAllow) || err.Error() != `bad line in control/throttleallow: line 2: "not an address"` {
		t.Errorf("first use: %v", err)
	}
	if d, err := th.Failed("192.0.2.7", ""); d != (Decision{}) || err != nil {
		t.Errorf("second use: %s", decision(d, err))
	}
}

func TestParseAllow(t *testing.T) {
	cases := []struct {
		in, want string
		bad      bool
	}{
		{"192.0.2.7", "[192.0.2.7/32]", false},
		{"  10.  ", "[10.0.0.0/8]", false},
		{"192.0.2.", "[192.0.2.0/24]", false},
		{"192.0.2.0/24\n#x\n\n", "[192.0.2.0/24]", false},
		{"192.0.2.9/24", "[192.0.2.0/24]", false},
		{"2001:db8::/32", "[2001:db8::/32]", false},
		{"::ffff:192.0.2.1", "[192.0.2.1/32]", false},
		{"::ffff:192.0.2.0/120", "[192.0.2.0/24]", false},
		{"192.0.2.0.", "[]", true},
		{"010.", "[]", true},
		{"256.", "[]", true},
		{"fe80::1%eth0", "[]", true},
		{"192.0.2.7/33", "[]", true},
		{"example.com", "[]", true},
	}
	for _, c := range cases {
		got, err := ParseAllow(c.in)
		if fmt.Sprint(got) != c.want || (err != nil) != c.bad {
			t.Errorf("ParseAllow(%q) = %v, %v; want %s, bad %v", c.in, got, err, c.want, c.bad)
		}
	}
}

// The state stays within its bounds whatever arrives: a flood of
// distinct addresses fills each bucket to 64 records and no further.
func TestBounded(t *testing.T) {
	c := newClock()
	h := home(t)
	th := New(h, c.now)
	for i := 0; i < 40000; i++ {
		th.Failed(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String(), "")
		if i%1000 == 0 {
			c.advance(time.Second)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(h, Dir))
	total := int64(0)
	for _, e := range ents {
		fi, _ := e.Info()
		if fi.Size() > perBucket*recordSize {
			t.Errorf("%s has %d bytes", e.Name(), fi.Size())
		}
		total += fi.Size()
	}
	if len(ents) != buckets || total != buckets*perBucket*recordSize {
		t.Errorf("%d files of %d bytes in all, want %d full ones", len(ents), total, buckets)
	}
	// The newest records were kept.
	th.Failed("10.0.156.63", "")
	if d, _ := th.Failed("10.0.156.63", ""); d.Failures != 3 {
		t.Errorf("a recent address was evicted: %+v", d)
	}
}

// A torn last record (the file was growing when the machine stopped) is
// ignored, and the next record written goes in its place.
func TestTornRecord(t *testing.T) {
	c := newClock()
	h := home(t)
	th := New(h, c.now)
	th.Failed("192.0.2.7", "")
	k := keyFor("ip", "192.0.2.7")
	name := filepath.Join(h, Dir, fmt.Sprintf("%02x", k[0]))
	f, _ := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("torn"))
	f.Close()
	if d, _ := th.Failed("192.0.2.7", ""); d.Failures != 2 {
		t.Errorf("count lost after a torn record: %+v", d)
	}
}

// Processes update the same records at once without losing a count:
// eight copies of this test's binary record 100 failures each for one
// address, then the count is 800 (and so is the account's).
func TestConcurrentProcesses(t *testing.T) {
	if os.Getenv("THROTTLE_HELPER") != "" {
		return
	}
	h := home(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFailures$")
			cmd.Env = append(os.Environ(), "THROTTLE_HELPER="+h)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("%v: %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c := newClock()
	d, _ := New(h, c.now).Failed("192.0.2.7", "alice")
	if d.Failures != 801 {
		t.Errorf("the address has %d failures after 801, counts were lost", d.Failures)
	}
	var r record
	New(h, c.now).update(keyFor("user", "alice"), func(rec *record, ok bool) bool { r = *rec; return false })
	if r.failures != 801 {
		t.Errorf("the account has %d failures, want 801", r.failures)
	}
}

// TestHelperFailures is the child of TestConcurrentProcesses.
func TestHelperFailures(t *testing.T) {
	h := os.Getenv("THROTTLE_HELPER")
	if h == "" {
		t.Skip("helper process only")
	}
	th := New(h, newClock().now)
	for i := 0; i < 100; i++ {
		if _, err := th.Failed("192.0.2.7", "alice"); err != nil {
			t.Fatal(err)
		}
	}
}

// Goroutines of one process, each with its own Throttle, are kept apart
// by the same locks (go test -race).
func TestConcurrentGoroutines(t *testing.T) {
	h := home(t)
	c := newClock()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th := New(h, c.now)
			for j := 0; j < 50; j++ {
				th.Failed("192.0.2.7", "")
				th.Check("192.0.2.7", "")
			}
		}()
	}
	wg.Wait()
	if d, _ := New(h, c.now).Failed("192.0.2.7", ""); d.Failures != 401 {
		t.Errorf("%d failures, want 401", d.Failures)
	}
}

func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{"192.0.2.7", "10.", "192.0.2.0/24", "2001:db8::/32", "::ffff:1.2.3.4/120", "#x\n\n1.2.3.", "1.2.3.4.", "fe80::1%lo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, _ := ParseAllow(s)
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
				t.Fatalf("%q gave %v", s, p)
			}
		}
	})
}

// FuzzBucket: whatever a bucket file holds (it is a file on disk, which
// anything may have written), counting and checking neither panic nor
// grow it past its bound.
func FuzzBucket(f *testing.F) {
	r := encodeRecord(record{key: keyFor("ip", "192.0.2.7"), failures: 12, last: 1_800_000_000, until: 1_800_000_060})
	f.Add(r[:])
	f.Add(append(r[:], 1, 2, 3))
	f.Add(make([]byte, perBucket*recordSize+7))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, content []byte) {
		h := home(t)
		k := keyFor("ip", "192.0.2.7")
		name := filepath.Join(h, Dir, fmt.Sprintf("%02x", k[0]))
		if err := os.WriteFile(name, content, 0o600); err != nil {
			t.Fatal(err)
		}
		th := New(h, newClock().now)
		before := len(content)
		if _, err := th.Failed("192.0.2.7", ""); err != nil {
			t.Fatal(err)
		}
		th.Check("192.0.2.7", "")
		fi, _ := os.Stat(name)
		if fi.Size() > int64(max(before, perBucket*recordSize)) {
			t.Fatalf("bucket grew to %d bytes from %d", fi.Size(), before)
		}
	})
}
