// Package netwait holds what the benchmarks need of loopback ports: one
// nobody uses, and waiting for a server to listen on one.
package netwait

import (
	"net"
	"time"
)

// FreePort asks the kernel for a loopback port nobody uses right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Listening polls until addr accepts a connection, for at most within;
// it closes each connection at once, which a server logs as a lost
// connection and nothing else.
func Listening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
