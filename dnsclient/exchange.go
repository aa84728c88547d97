package dnsclient

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// maxUDPReply is the read buffer for UDP replies. No EDNS0 is sent, so a
// conforming server answers in 512 bytes; a larger buffer only tolerates
// servers that send more.
const maxUDPReply = 4096

// exchange asks the servers for name and qtype and returns the first
// acceptable reply, whose RCODE is NOERROR or NXDOMAIN. With ad, the query
// carries the AD bit, which asks a validating resolver to say whether it
// authenticated the answer (RFC 6840 section 5.7), without the DNSSEC
// records themselves that the DO bit would bring.
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16, ad bool) (*dns.Msg, error) {
	if len(r.servers) == 0 {
		return nil, errors.New("no servers configured")
	}
	timeouts := r.Timeouts
	if len(timeouts) == 0 {
		timeouts = DefaultTimeouts
	}
	q := new(dns.Msg)
	q.Id = uint16(rand.Uint32())
	q.RecursionDesired = true
	q.AuthenticatedData = ad
	q.Question = []dns.Question{{Name: name, Qtype: qtype, Qclass: dns.ClassINET}}
	packed, err := q.Pack()
	if err != nil {
		return nil, err
	}

	// A server that gave a definite failure (SERVFAIL, REFUSED ...) is not
	// asked again in later rounds; one that timed out is.
	failed := make([]bool, len(r.servers))
	var lastErr error = ErrNoAnswer
	for _, tmo := range timeouts {
		asked := false
		for i, srv := range r.servers {
			if failed[i] {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			asked = true
			reply, err := r.try(ctx, srv, q, packed, tmo)
			if err == nil {
				return reply, nil
			}
			var sf *serverFailure
			if errors.As(err, &sf) {
				failed[i] = true
			}
			lastErr = err
		}
		if !asked {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, lastErr
}

// serverFailure is a definite answer that the server cannot help: an RCODE
// other than NOERROR and NXDOMAIN.
type serverFailure struct{ rcode int }

func (e *serverFailure) Error() string {
	if e.rcode == dns.RcodeServerFailure {
		return ErrServerFailure.Error()
	}
	return "server answered " + strings.ToUpper(dns.RcodeToString[e.rcode])
}

func (e *serverFailure) Unwrap() error {
	if e.rcode == dns.RcodeServerFailure {
		return ErrServerFailure
	}
	return nil
}

// try asks one server: UDP, then TCP when the UDP reply is truncated. The
// TCP exchange gets its own try timeout (at least minTCPTimeout, since it
// costs a handshake more), always within the caller's deadline.
func (r *Resolver) try(ctx context.Context, srv string, q *dns.Msg, packed []byte, tmo time.Duration) (*dns.Msg, error) {
	uctx, cancel := context.WithTimeout(ctx, tmo)
	reply, err := udpExchange(uctx, srv, q, packed)
	cancel()
	if err == nil && reply.Truncated {
		tctx, cancel := context.WithTimeout(ctx, max(tmo, minTCPTimeout))
		reply, err = tcpExchange(tctx, srv, q, packed)
		cancel()
	}
	if err != nil {
		return nil, err
	}
	if reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError {
		return nil, &serverFailure{reply.Rcode}
	}
	return reply, nil
}

const minTCPTimeout = 2 * time.Second

func udpExchange(ctx context.Context, srv string, q *dns.Msg, packed []byte) (*dns.Msg, error) {
	var d net.Dialer
	// A connected socket: the kernel drops datagrams from any other source.
	c, err := d.DialContext(ctx, "udp", srv)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := watch(ctx, c)
	defer stop()
	if _, err := c.Write(packed); err != nil {
		return nil, err
	}
	buf := make([]byte, maxUDPReply)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if reply, ok := checkReply(q, buf[:n]); ok {
			return reply, nil
		}
		// Not our answer: keep listening until the deadline.
	}
}

func tcpExchange(ctx context.Context, srv string, q *dns.Msg, packed []byte) (*dns.Msg, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", srv)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := watch(ctx, c)
	defer stop()
	msg := make([]byte, 2+len(packed))
	binary.BigEndian.PutUint16(msg, uint16(len(packed)))
	copy(msg[2:], packed)
	if _, err := c.Write(msg); err != nil {
		return nil, ctxErr(ctx, err)
	}
	var lb [2]byte
	if _, err := io.ReadFull(c, lb[:]); err != nil {
		return nil, ctxErr(ctx, err)
	}
	buf := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(c, buf); err != nil {
		return nil, ctxErr(ctx, err)
	}
	reply, ok := checkReply(q, buf)
	if !ok {
		return nil, errors.New("unusable reply over TCP")
	}
	return reply, nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// watch makes the connection honour ctx: its deadline becomes the socket's,
// and a cancellation closes the socket. No goroutine runs unless ctx is
// cancelled.
func watch(ctx context.Context, c net.Conn) (stop func()) {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	s := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return func() { s() }
}

// checkReply decodes raw and accepts it only as the answer to q: same ID, a
// response to a standard query, the same single question.
func checkReply(q *dns.Msg, raw []byte) (*dns.Msg, bool) {
	reply := new(dns.Msg)
	if err := reply.Unpack(raw); err != nil {
		return nil, false
	}
	if reply.Id != q.Id || !reply.Response || reply.Opcode != dns.OpcodeQuery {
		return nil, false
	}
	if len(reply.Question) != 1 {
		return nil, false
	}
	got, want := reply.Question[0], q.Question[0]
	if got.Qtype != want.Qtype || got.Qclass != want.Qclass || !strings.EqualFold(got.Name, want.Name) {
		return nil, false
	}
	return reply, true
}
