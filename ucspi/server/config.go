package server

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/quail-mta/quail/internal/ownprog"
	"github.com/quail-mta/quail/ucspi/tcpenv"
)

// Resolver is the DNS the server needs: names for addresses (-h and the
// local name) and addresses for names (-p). *dnsclient.Resolver has it.
type Resolver interface {
	PTR(ctx context.Context, ip netip.Addr) ([]string, error)
	IP(ctx context.Context, name string) ([]netip.Addr, error)
}

// Config is everything tcpserver's options and environment decide.
type Config struct {
	Name string // "tcpserver": the prefix of every log line

	// Listen is the address to bind; an unspecified IPv6 address with
	// DualStack accepts IPv4 too (host 0 without -4).
	Listen    netip.AddrPort
	DualStack bool
	Interface string // -I: the scope of a link-local Listen address
	Backlog   int    // -b
	Limit     int    // -c: live connections at most

	// MaxConIP is the default per-address limit on live programs (0: none);
	// a rule's MAXCONIP variable overrides it for the addresses it covers.
	MaxConIP int

	Verbose, Quiet bool // -v, -q

	RemoteHost   bool    // -h: look up TCPREMOTEHOST
	Paranoid     bool    // -p: keep it only if it maps back to the address
	LocalHost    *string // -l: TCPLOCALHOST without DNS; nil = look it up
	Ident        bool    // -r: ask the peer's IDENT server
	IdentTimeout time.Duration

	Rules             string // -x: rules cdb, reopened per connection
	AllowMissingRules bool   // -X

	Banner        string // -B: written before any lookup
	KeepIPOptions bool   // -o
	NoDelay       bool   // -D
	ForceV6       bool   // -6

	// UID and GID, when nonzero, are taken after binding (-u, -g, -U).
	UID, GID int

	Argv []string // the program and its arguments
	// Path, when set, is the file to run with Argv, whose Argv[0] is then
	// only the name the program is given (sslprint runs itself so).
	Path string
	Env  []string // the environment the program starts from

	// MaxUse, when above 0, lets one process of the program serve up to
	// MaxUse connections in turn, if Reusable says the program takes
	// part (package reuse; tcpserver's TCPSERVERREUSE). Reusable also
	// returns the identity of the file it looked at: a process started
	// from another version of it is not given the connection.
	MaxUse   int
	Reusable func(prog string) (ownprog.FileID, bool)

	Resolver Resolver
	Stderr   io.Writer

	// Prepare, when set, runs for each allowed connection just before its
	// program starts (sslserver's TLS hook). It may set s.Stdin, s.Stdout,
	// s.Extra and add to s.Env; an error drops the connection with a
	// warning. The Session's Started, Finished and Abort say what
	// happened next.
	Prepare func(s *Session) error
}

// Session is one connection on its way to the program.
type Session struct {
	// FD is the accepted socket, in blocking mode. It is closed by the
	// server once the program has started (or the connection is dropped).
	FD   int
	Info tcpenv.Info
	// Env is the program's environment: the UCSPI variables and the
	// rule's variables are already set.
	Env []string
	// Stdin, Stdout and Extra are the descriptors the program gets as 0,
	// 1 and 3 onwards; -1 for Stdin and Stdout means the socket.
	Stdin, Stdout int
	Extra         []int
	// Started runs after the program has started, in the connection's
	// goroutine (to close the server's copies of what Prepare opened).
	Started func(pid int)
	// Finished runs when the program has been reaped.
	Finished func(status int)
	// Abort runs instead of Started when, after Prepare, the program is
	// not started after all (the address's limit was reached meanwhile,
	// or exec failed): it must release what Prepare set up.
	Abort func()
	// Log writes a line to the server's log when it is verbose (-v),
	// prefixed with the server's name as every line is.
	Log func(line string)
}
