package tcpenv

import (
	"net/netip"
	"strconv"
	"strings"
)

// Info is what is known about one TCP connection. A nil string pointer
// means unknown: the variable is removed from the environment rather than
// set empty, as the original does.
type Info struct {
	Local, Remote netip.AddrPort
	LocalHost     *string
	RemoteHost    *string
	RemoteInfo    *string
	// ForceV6 is tcpserver's -6: IPv4 peers are described as v4-mapped
	// IPv6 addresses with PROTO=TCP6.
	ForceV6 bool
}

// IsV4 reports whether the connection is IPv4 (native or v4-mapped), which
// is what decides between PROTO=TCP and PROTO=TCP6.
func (i Info) IsV4() bool { return i.Remote.Addr().Unmap().Is4() }

// Proto is the value of $PROTO: TCP for IPv4 peers, TCP6 for IPv6 ones and
// for every peer under -6.
func (i Info) Proto() string {
	if i.IsV4() && !i.ForceV6 {
		return "TCP"
	}
	return "TCP6"
}

// IPText is the text of an address in $TCPLOCALIP and $TCPREMOTEIP: dotted
// IPv4 for an IPv4 peer, compact IPv6 otherwise, with the zone dropped.
func (i Info) IPText(a netip.Addr) string {
	a = a.WithZone("")
	if a.Unmap().Is4() && !i.ForceV6 {
		return a.Unmap().String()
	}
	return IP6Text(a)
}

// IP6Text is the IPv6 text of an address, IPv4 ones v4-mapped
// (::ffff:1.2.3.4), as the TCP6 variables and tcpserver's log lines show it.
func IP6Text(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
	}
	return a.String()
}

// Interface is the zone (interface name) of a link-local remote address,
// "" when there is none: the value of $TCP6INTERFACE.
func (i Info) Interface() string {
	return i.Remote.Addr().Zone()
}

// Apply returns env with the connection's variables set and the unknown
// ones removed, the TCP6 twins included, as Debian's tcpserver sets them.
func (i Info) Apply(env []string) []string {
	return i.apply(env, true)
}

// ApplyTCP is Apply without the TCP6 variables, which Debian's tcpclient
// does not set.
func (i Info) ApplyTCP(env []string) []string {
	return i.apply(env, false)
}

func (i Info) apply(env []string, tcp6 bool) []string {
	// Gathered first and then merged in one pass: a Setenv per variable
	// copied the whole environment sixteen times for every connection.
	var vars [16]struct {
		name  string
		value *string // nil: unset
	}
	n := 0
	set := func(name string, value *string) {
		vars[n].name, vars[n].value = name, value
		n++
	}
	text := func(s string) *string { return &s }
	lport := text(strconv.Itoa(int(i.Local.Port())))
	rport := text(strconv.Itoa(int(i.Remote.Port())))
	set("PROTO", text(i.Proto()))
	set("TCPLOCALIP", text(i.IPText(i.Local.Addr())))
	set("TCPLOCALPORT", lport)
	set("TCPLOCALHOST", i.LocalHost)
	set("TCPREMOTEIP", text(i.IPText(i.Remote.Addr())))
	set("TCPREMOTEPORT", rport)
	set("TCPREMOTEHOST", i.RemoteHost)
	set("TCPREMOTEINFO", i.RemoteInfo)
	if tcp6 {
		set("TCP6LOCALIP", text(IP6Text(i.Local.Addr())))
		set("TCP6LOCALPORT", lport)
		set("TCP6LOCALHOST", i.LocalHost)
		set("TCP6REMOTEIP", text(IP6Text(i.Remote.Addr())))
		set("TCP6REMOTEPORT", rport)
		set("TCP6REMOTEHOST", i.RemoteHost)
		set("TCP6REMOTEINFO", i.RemoteInfo)
		var iface *string
		if z := i.Interface(); z != "" {
			iface = &z
		}
		set("TCP6INTERFACE", iface)
	}
	out := make([]string, 0, len(env)+n)
	for _, e := range env {
		ours := false
		for _, v := range vars[:n] {
			// An entry without '=' names the variable too.
			if strings.HasPrefix(e, v.name) && (len(e) == len(v.name) || e[len(v.name)] == '=') {
				ours = true
				break
			}
		}
		if !ours {
			out = append(out, e)
		}
	}
	for _, v := range vars[:n] {
		if v.value != nil {
			out = append(out, v.name+"="+*v.value)
		}
	}
	return out
}
