package ipme

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quail-mta/quail/mta/control"
)

func TestList(t *testing.T) {
	more := []netip.Addr{netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("198.51.100.7")}
	got, err := List(more)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 || got[0] != netip.IPv4Unspecified() || got[1] != netip.IPv6Unspecified() {
		t.Fatalf("List starts %v, want 0.0.0.0 and ::", got)
	}
	seen := map[netip.Addr]int{}
	for _, a := range got {
		seen[a]++
		if seen[a] > 1 {
			t.Errorf("%v listed twice in %v", a, got)
		}
	}
	if got[len(got)-1] != more[0] {
		t.Errorf("moreipme's address is not last: %v", got)
	}
	// Every address of an interface that is up, and none of one that is
	// down.
	ifs, _ := net.Interfaces()
	for _, ifi := range ifs {
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, _ := netip.AddrFromSlice(n.IP)
			ip = ip.Unmap()
			if up := ifi.Flags&net.FlagUp != 0; up != (seen[ip] > 0) {
				t.Errorf("%s on %s (up %v) listed %d times", ip, ifi.Name, up, seen[ip])
			}
		}
	}
	if set := Set(got); !set[netip.MustParseAddr("127.0.0.1")] || set[netip.MustParseAddr("192.0.2.254")] {
		t.Errorf("Set(%v) = %v", got, set)
	}
}

func TestReadMore(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "control"), 0o755)
	dir := control.Open(home)
	if got, err := ReadMore(dir); err != nil || got != nil {
		t.Errorf("no moreipme: %v, %v", got, err)
	}
	os.WriteFile(filepath.Join(home, "control", "moreipme"), []byte("198.51.100.7\n2001:db8::7\n::ffff:192.0.2.1\nfe80::1%eth0\nnot.an.address\n10.0.0.0/8\n\n# comment\n"), 0o644)
	got, err := ReadMore(dir)
	want := []netip.Addr{netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("fe80::1")}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadMore = %v, %v; want %v", got, err, want)
	}
}

func FuzzParseMore(f *testing.F) {
	f.Add("198.51.100.7\n2001:db8::7\n::ffff:1.2.3.4\nfe80::1%eth0\njunk")
	f.Fuzz(func(t *testing.T, text string) {
		for _, a := range ParseMore(strings.Split(text, "\n")) {
			if !a.IsValid() || a.Is4In6() || a.Zone() != "" {
				t.Fatalf("address %v", a)
			}
		}
	})
}
