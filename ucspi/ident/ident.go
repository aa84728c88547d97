// Package ident asks a peer's IDENT server who owns a TCP connection, as
// tcpserver and tcpclient of ucspi-tcp 0.88 do to set $TCPREMOTEINFO
// (RFC 1413; tcpserver(1) -r, -R, -t).
//
// The query goes from the connection's local address to port 113 of the
// remote address and names the two ports, "REMOTEPORT , LOCALPORT\r\n". The
// answer is the text after the third colon of the reply line with every
// space, tab and carriage return removed, which is what Debian's tcpserver
// puts in the variable: a reply such as "ERROR : NO-USER" with fewer than
// three colons gives the empty string, and a connection that closes before
// a full line gives no answer at all.
package ident

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Port is the IDENT service port.
const Port = 113

// MaxLine bounds the reply line; a longer one is cut, not buffered.
const MaxLine = 1024

// ErrNoLine reports a server that closed or stalled before a full line.
var ErrNoLine = errors.New("no complete IDENT reply")

// Query asks the IDENT server of remote about the connection between local
// and remote. ctx bounds the whole exchange (tcpserver's -t).
func Query(ctx context.Context, local, remote netip.AddrPort) (string, error) {
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(local.Addr(), 0))}
	conn, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(remote.Addr(), Port).String())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := io.WriteString(conn, QueryText(remote.Port(), local.Port())); err != nil {
		return "", err
	}
	line, err := readLine(bufio.NewReader(conn))
	if err != nil {
		return "", err
	}
	return Answer(line), nil
}

// readLine reads up to a newline, keeping at most MaxLine bytes.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", ErrNoLine
		}
		if c == '\n' {
			return b.String(), nil
		}
		if b.Len() < MaxLine {
			b.WriteByte(c)
		}
	}
}

// Answer extracts the user id from one reply line (without its newline):
// what follows the third colon, without spaces, tabs and carriage returns,
// ending at a NUL byte.
func Answer(line string) string {
	colons := 0
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == 0 {
			break
		}
		if colons < 3 {
			if c == ':' {
				colons++
			}
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// QueryText is the query line for a connection's pair of ports.
func QueryText(remotePort, localPort uint16) string {
	return strconv.Itoa(int(remotePort)) + " , " + strconv.Itoa(int(localPort)) + "\r\n"
}
