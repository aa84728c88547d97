package server

import (
	"io"
	"strconv"
	"sync"

	"github.com/quail-mta/quail/ucspi/tcpenv"
)

// logger writes tcpserver's stderr lines, one write per line so that lines
// from concurrent connections never interleave.
type logger struct {
	mu      sync.Mutex
	w       io.Writer
	name    string
	verbose bool // -v
	quiet   bool // -q
}

func (l *logger) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, l.name+": "+s+"\n")
}

// info is a -v line.
func (l *logger) info(s string) {
	if l.verbose {
		l.line(s)
	}
}

// warn is printed unless -q.
func (l *logger) warn(s string) {
	if !l.quiet {
		l.line("warning: " + s)
	}
}

func (l *logger) status(n, limit int) {
	l.info("status: " + strconv.Itoa(n) + "/" + strconv.Itoa(limit))
}

// connLine is the "ok" and "deny" line:
//
//	ok PID LOCALHOST:LOCALIP:LOCALPORT REMOTEHOST:REMOTEIP:REMOTEINFO:REMOTEPORT
//
// with the addresses in IPv6 form (v4-mapped for IPv4) and the names
// through safecats, as Debian's tcpserver prints them.
func connLine(verb string, pid int, i tcpenv.Info) string {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return tcpenv.Safecats(*p)
	}
	return verb + " " + strconv.Itoa(pid) + " " +
		str(i.LocalHost) + ":" + tcpenv.IP6Text(i.Local.Addr()) + ":" + strconv.Itoa(int(i.Local.Port())) + " " +
		str(i.RemoteHost) + ":" + tcpenv.IP6Text(i.Remote.Addr()) + ":" + str(i.RemoteInfo) + ":" + strconv.Itoa(int(i.Remote.Port()))
}
