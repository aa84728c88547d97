package server

import (
	"net"
	"syscall"

	"github.com/quail-mta/quail/internal/djberr"
)

// listen creates the listening socket the way tcpserver does: SO_REUSEADDR,
// bound, listening with the given backlog (which Go's net package does not
// let us choose), left in blocking mode for a dedicated accept goroutine.
// It returns the descriptor and the port actually bound.
func listen(c *Config) (int, uint16, error) {
	addr := c.Listen.Addr()
	family := syscall.AF_INET6
	if addr.Is4() {
		family = syscall.AF_INET
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, &OpError{"create socket", err}
	}
	fail := func(what string, err error) (int, uint16, error) {
		syscall.Close(fd)
		return -1, 0, &OpError{what, err}
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail("set socket options", err)
	}
	var sa syscall.Sockaddr
	if family == syscall.AF_INET {
		sa = &syscall.SockaddrInet4{Port: int(c.Listen.Port()), Addr: addr.As4()}
	} else {
		v6only := 1
		if c.DualStack {
			v6only = 0
		}
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v6only); err != nil {
			return fail("set socket options", err)
		}
		sa6 := &syscall.SockaddrInet6{Port: int(c.Listen.Port()), Addr: addr.As16()}
		if c.Interface != "" {
			ifi, err := net.InterfaceByName(c.Interface)
			if err != nil {
				return fail("find interface "+c.Interface, err)
			}
			sa6.ZoneId = uint32(ifi.Index)
		}
		sa = sa6
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := syscall.Listen(fd, c.Backlog); err != nil {
		return fail("listen", err)
	}
	bound, err := syscall.Getsockname(fd)
	if err != nil {
		return fail("get local address", err)
	}
	return fd, sockPort(bound), nil
}

func sockPort(sa syscall.Sockaddr) uint16 {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return uint16(a.Port)
	case *syscall.SockaddrInet6:
		return uint16(a.Port)
	}
	return 0
}

// OpError is a failed step of setting up or running the server, worded as
// tcpserver words it: "unable to bind: address already used".
type OpError struct {
	Op  string
	Err error
}

func (e *OpError) Error() string { return "unable to " + e.Op + ": " + djberr.Text(e.Err) }
func (e *OpError) Unwrap() error { return e.Err }
