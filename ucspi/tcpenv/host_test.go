package tcpenv

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/dnsclient"
)

// fakeDNS answers from a map; a name missing from it does not exist, and
// "down.test" fails for a while.
type fakeDNS map[string][]netip.Addr

func (f fakeDNS) IP(_ context.Context, name string) ([]netip.Addr, error) {
	if name == "down.test" {
		return nil, &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", syscall.ECONNREFUSED)}
	}
	if a, ok := f[name]; ok {
		return a, nil
	}
	return nil, dnsclient.ErrNXDomain
}

func (f fakeDNS) Qualify(name string) []string { return []string{name + ".example", name} }

// The expected texts are what Debian's tcpclient and tcpserver print for
// the same host (the diagnostics compat tests run them); the lines marked
// "ours" are this package's documented differences.
func TestHostAddrs(t *testing.T) {
	dns := fakeDNS{
		"both.test":    {netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")},
		"mail.example": {netip.MustParseAddr("192.0.2.25")},
	}
	for _, c := range []struct {
		host string
		want string // addresses joined by spaces, or the error's text
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"127.000.000.001", "127.0.0.1"},
		{"0127.0.0.01", "127.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"::ffff:127.0.0.1", "127.0.0.1"},
		{"::ffff:127.000.0.1", "127.0.0.1"},
		{"0000:0000::0001", "::1"},
		{"[127.0.0.1]", "no IP address for [127.0.0.1]"},
		{"[::1]", "no IP address for [::1]"},
		{"127.1", "no IP address for 127.1"},
		{"1.2.3", "no IP address for 1.2.3"},
		{"0x7f.0.0.1", "no IP address for 0x7f.0.0.1"},
		{"1.2.3.4x", "temporarily unable to figure out IP address for 1.2.3.4x: file does not exist"},
		{"1.2.3.4.5", "temporarily unable to figure out IP address for 1.2.3.4.5: file does not exist"},
		{"127.0.0.1 ", "temporarily unable to figure out IP address for 127.0.0.1 : file does not exist"},
		{"::1x", "temporarily unable to figure out IP address for ::1x: file does not exist"},
		{"1:2:3:4:5:6:7:8:9", "temporarily unable to figure out IP address for 1:2:3:4:5:6:7:8:9: file does not exist"},
		{"both.test", "2001:db8::1 192.0.2.1"},
		{"mail", "192.0.2.25"},
		{"nosuch.test", "no IP address for nosuch.test"},
		{"down.test", "temporarily unable to figure out IP address for down.test: connection refused"},
		// Ours: addresses Debian's scanner stops short in, and numbers
		// it would cut down to their low bits.
		{"2001:db8::", "2001:db8::"},
		{"::", "::"},
		{"300.1.1.1", "no IP address for 300.1.1.1"},
		{"12345::1", "no IP address for 12345::1"},
		// djb's digit loop: 16 bytes make an address.
		{"[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16]", "102:304:506:708:90a:b0c:d0e:f10"},
	} {
		addrs, err := HostAddrs(context.Background(), c.host, dns)
		var got string
		if err != nil {
			var he *HostError
			if !errors.As(err, &he) {
				t.Errorf("%q: error %v is no HostError", c.host, err)
			}
			got = err.Error()
		} else {
			var s []string
			for _, a := range addrs {
				s = append(s, a.String())
			}
			got = strings.Join(s, " ")
		}
		if got != c.want {
			t.Errorf("HostAddrs(%q) = %q, want %q", c.host, got, c.want)
		}
	}
}

func FuzzHostAddrs(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.000.000.001", "[127.0.0.1]", "1.2.3.4x", "::1x", "::ffff:1.2.3.4",
		"1::2:3.4.5.6", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", ":1", ":::", "1:2", "fe80::1%eth0", "name.test", "1.2.3.4.", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		addrs, err := HostAddrs(context.Background(), host, fakeDNS{})
		var he *HostError
		switch {
		case err != nil && !errors.As(err, &he):
			t.Fatalf("%q: error %v is no HostError", host, err)
		case err == nil && len(addrs) == 0:
			t.Fatalf("%q: no addresses and no error", host)
		}
		if a, perr := netip.ParseAddr(strings.TrimSuffix(host, ".")); perr == nil && (err != nil || addrs[0] != a.Unmap()) {
			t.Fatalf("%q is the address %v, got %v, %v", host, a, addrs, err)
		}
		if n, _, _ := scanIP6(host); n > len(host) {
			t.Fatalf("scanIP6(%q) read %d bytes", host, n)
		}
	})
}
