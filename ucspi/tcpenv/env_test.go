package tcpenv

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func ptr(s string) *string { return &s }

func TestApply(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		why  string
		info Info
		tcp6 bool
		in   []string
		want []string
	}{
		{
			why:  "IPv4 peer: dotted TCP variables, v4-mapped TCP6 twins, unknown names unset",
			info: Info{Local: ap("127.0.0.1:25"), Remote: ap("127.0.0.2:4000")},
			tcp6: true,
			in:   []string{"TCPREMOTEHOST=stale", "KEEP=1"},
			want: []string{"KEEP=1", "PROTO=TCP", "TCPLOCALIP=127.0.0.1", "TCPLOCALPORT=25", "TCPREMOTEIP=127.0.0.2", "TCPREMOTEPORT=4000",
				"TCP6LOCALIP=::ffff:127.0.0.1", "TCP6LOCALPORT=25", "TCP6REMOTEIP=::ffff:127.0.0.2", "TCP6REMOTEPORT=4000"},
		},
		{
			why:  "v4-mapped socket addresses are shown as IPv4, as a dual-stack listener sees them",
			info: Info{Local: ap("[::ffff:127.0.0.1]:25"), Remote: ap("[::ffff:10.0.0.1]:9"), LocalHost: ptr("here")},
			tcp6: true,
			want: []string{"PROTO=TCP", "TCPLOCALIP=127.0.0.1", "TCPLOCALPORT=25", "TCPLOCALHOST=here", "TCPREMOTEIP=10.0.0.1", "TCPREMOTEPORT=9",
				"TCP6LOCALIP=::ffff:127.0.0.1", "TCP6LOCALPORT=25", "TCP6LOCALHOST=here", "TCP6REMOTEIP=::ffff:10.0.0.1", "TCP6REMOTEPORT=9"},
		},
		{
			why:  "-6: IPv4 peers described as IPv6",
			info: Info{Local: ap("127.0.0.1:25"), Remote: ap("127.0.0.2:4000"), ForceV6: true},
			want: []string{"PROTO=TCP6", "TCPLOCALIP=::ffff:127.0.0.1", "TCPLOCALPORT=25", "TCPREMOTEIP=::ffff:127.0.0.2", "TCPREMOTEPORT=4000"},
		},
		{
			why:  "IPv6 peer with names and an empty IDENT answer, which is set, not unset",
			info: Info{Local: ap("[::1]:25"), Remote: ap("[2001:db8::1]:7"), RemoteHost: ptr("h.test"), RemoteInfo: ptr("")},
			tcp6: true,
			want: []string{"PROTO=TCP6", "TCPLOCALIP=::1", "TCPLOCALPORT=25", "TCPREMOTEIP=2001:db8::1", "TCPREMOTEPORT=7", "TCPREMOTEHOST=h.test", "TCPREMOTEINFO=",
				"TCP6LOCALIP=::1", "TCP6LOCALPORT=25", "TCP6REMOTEIP=2001:db8::1", "TCP6REMOTEPORT=7", "TCP6REMOTEHOST=h.test", "TCP6REMOTEINFO="},
		},
		{
			why:  "a link-local peer's zone becomes TCP6INTERFACE and stays out of the address",
			info: Info{Local: ap("[fe80::1%eth0]:25"), Remote: ap("[fe80::2%eth0]:7")},
			tcp6: true,
			want: []string{"PROTO=TCP6", "TCPLOCALIP=fe80::1", "TCPLOCALPORT=25", "TCPREMOTEIP=fe80::2", "TCPREMOTEPORT=7",
				"TCP6LOCALIP=fe80::1", "TCP6LOCALPORT=25", "TCP6REMOTEIP=fe80::2", "TCP6REMOTEPORT=7", "TCP6INTERFACE=eth0"},
		},
	} {
		var got []string
		if tc.tcp6 {
			got = tc.info.Apply(tc.in)
		} else {
			got = tc.info.ApplyTCP(tc.in)
		}
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.why, got, want)
		}
	}
}

func TestSafecats(t *testing.T) {
	for _, tc := range []struct{ in, want, why string }{
		{"mail.example", "mail.example", "plain names pass"},
		{"a b\tc\r\nd", "a?b?c??d", "controls and spaces cannot split the line"},
		{"100%", "100?", "percent is replaced, for syslog"},
		{"a:b", "a:b", "Debian's keeps colons"},
		{"caf\xc3\xa9", "caf??", "bytes above 126"},
		{"x\x00y", "x", "NUL ends the field"},
		{strings.Repeat("a", 99), strings.Repeat("a", 99), "99 bytes fit"},
		{strings.Repeat("a", 100), strings.Repeat("a", 100) + "...", "at 100 bytes the original already adds dots"},
		{strings.Repeat("b", 150), strings.Repeat("b", 100) + "...", "longer fields are cut"},
		{"", "", "empty"},
	} {
		if got := Safecats(tc.in); got != tc.want {
			t.Errorf("%s: Safecats(%q) = %q, want %q", tc.why, tc.in, got, tc.want)
		}
	}
}

func FuzzSafecats(f *testing.F) {
	for _, s := range []string{"", "a:b", "100%", "x\x00y", strings.Repeat("z", 120), "\xff\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Safecats(s)
		if len(out) > MaxLogField+3 {
			t.Fatalf("output of %d bytes", len(out))
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; c < 33 || c > 126 || c == '%' {
				t.Fatalf("byte %q left in %q", c, out)
			}
		}
	})
}

// FuzzApply feeds arbitrary environments: the result must hold exactly one
// PROTO and never an entry for an unknown name.
func FuzzApply(f *testing.F) {
	f.Add("PROTO=x\x00TCPREMOTEHOST=y\x00TCPREMOTEHOST", "127.0.0.1", "::1", uint16(1))
	f.Fuzz(func(t *testing.T, envText, local, remote string, port uint16) {
		l, err1 := netip.ParseAddr(local)
		r, err2 := netip.ParseAddr(remote)
		if err1 != nil || err2 != nil {
			return
		}
		env := Info{Local: netip.AddrPortFrom(l, port), Remote: netip.AddrPortFrom(r, port)}.Apply(strings.Split(envText, "\x00"))
		protos := 0
		for _, e := range env {
			if strings.HasPrefix(e, "PROTO=") {
				protos++
			}
			// The name is what precedes '=' (an entry without one is all
			// name): TCPREMOTEHOST0 is another variable and stays.
			name, _, _ := strings.Cut(e, "=")
			if name == "TCPREMOTEHOST" || name == "TCP6REMOTEHOST" {
				t.Fatalf("unknown remote host left in %q", env)
			}
		}
		if protos != 1 {
			t.Fatalf("%d PROTO entries in %q", protos, env)
		}
	})
}
