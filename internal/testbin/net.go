package testbin

import (
	"fmt"
	"math/rand"
	"net"
	"os"
	"strconv"
	"testing"
)

// TCPPair returns the two ends of a loopback TCP connection, closed when
// the test ends. net.Pipe would not do for TLS: it is synchronous, and TLS
// 1.3's writes after the handshake deadlock on it.
func TCPPair(t testing.TB) (server, client net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ch := make(chan net.Conn, 1)
	go func() { c, _ := l.Accept(); ch <- c }()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

// SpareLoopback finds a 127.x.y.z address where TCP port is free, for test
// servers that must sit on a fixed port (53 for Debian's DNS client, 113
// for IDENT). Binding such a port takes root; without it the test is
// skipped, as it is when no address is found.
func SpareLoopback(t testing.TB, port int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("binding port %d needs root", port)
	}
	for range 20 {
		ip := fmt.Sprintf("127.%d.%d.%d", 100+rand.Intn(100), rand.Intn(256), 1+rand.Intn(250))
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			continue
		}
		l.Close()
		return ip
	}
	t.Skipf("no free loopback address for port %d", port)
	return ""
}
