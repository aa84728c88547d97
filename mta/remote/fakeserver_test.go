package remote

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// fakeSMTP is a scripted SMTP server for the tests: it offers the
// extensions it is given, answers RCPT and DATA as told, and records the
// dialogue and the messages as received (dot-stuffed CR LF form; a
// message sent with BDAT as its chunks' octets).
type fakeSMTP struct {
	Addr string // host:port

	greeting  string
	ext       []string    // EHLO lines after the first
	noEHLO    bool        // answer EHLO with 502
	tls       *tls.Config // set: STARTTLS works
	brokenTLS bool        // STARTTLS answers 220, then the handshake fails
	rcpt      func(addr string) string
	data      string // reply after the message

	mu       sync.Mutex
	lines    []string // client lines, in order
	messages []string
	auth     []string // decoded credentials seen
	sessions int
	peers    []string // client addresses, one per session
	tlsUsed  bool
}

func startFake(t *testing.T, addr string, configure func(*fakeSMTP)) *fakeSMTP {
	t.Helper()
	s := &fakeSMTP{
		greeting: "220 fake.test ESMTP",
		ext:      []string{"PIPELINING", "8BITMIME", "SIZE 1000000"},
		rcpt:     func(string) string { return "250 ok" },
		data:     "250 ok queued as 1",
	}
	if configure != nil {
		configure(s)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	s.Addr = ln.Addr().String()
	t.Cleanup(func() { ln.Close() })
	go serveAll(ln, s.serve)
	return s
}

// serveAll hands each connection ln accepts to serve, in a goroutine of
// its own, until ln is closed.
func serveAll(ln net.Listener, serve func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go serve(c)
	}
}

func (s *fakeSMTP) Port() string {
	_, p, _ := net.SplitHostPort(s.Addr)
	return p
}

func (s *fakeSMTP) record(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Dialogue waits up to 5 s for a client's QUIT to be read (qmail-remote
// exits once it has sent QUIT, before the server has read it) and then
// returns what clients said.
func (s *fakeSMTP) Dialogue() []string {
	testbin.Eventually(5*time.Second, func() bool {
		l := s.Lines()
		return len(l) > 0 && l[len(l)-1] == "QUIT"
	})
	return s.Lines()
}

// Lines returns a copy of what clients said.
func (s *fakeSMTP) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

func (s *fakeSMTP) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...)
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	s.record(func() { s.sessions++; s.peers = append(s.peers, c.RemoteAddr().String()) })
	br := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	say := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	say(s.greeting)
	var bdatMsg bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.record(func() { s.lines = append(s.lines, line) })
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			if s.noEHLO {
				say("502 no EHLO here")
				continue
			}
			out := []string{"250-fake.test"}
			ext := append([]string(nil), s.ext...)
			if s.tls != nil || s.brokenTLS {
				ext = append(ext, "STARTTLS")
			}
			for i, e := range ext {
				if i == len(ext)-1 {
					out = append(out, "250 "+e)
				} else {
					out = append(out, "250-"+e)
				}
			}
			if len(ext) == 0 {
				out = []string{"250 fake.test"}
			}
			say(out...)
		case "HELO":
			say("250 fake.test")
		case "STARTTLS":
			say("220 go ahead")
			if s.brokenTLS {
				c.Write([]byte("this is not a TLS server hello\r\n"))
				return
			}
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			s.record(func() { s.tlsUsed = true })
			c = tc
			br = bufio.NewReader(tc)
			w = bufio.NewWriter(tc)
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			switch strings.ToUpper(mech) {
			case "PLAIN":
				b, _ := base64.StdEncoding.DecodeString(ir)
				s.record(func() { s.auth = append(s.auth, "PLAIN "+string(b)) })
				if strings.HasSuffix(string(b), "\x00secret") {
					say("235 welcome")
				} else {
					say("535 no")
				}
			case "LOGIN":
				say("334 VXNlcm5hbWU6")
				u, _ := br.ReadString('\n')
				say("334 UGFzc3dvcmQ6")
				p, _ := br.ReadString('\n')
				ub, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(u))
				pb, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(p))
				s.record(func() { s.auth = append(s.auth, "LOGIN "+string(ub)+" "+string(pb)) })
				if string(pb) == "secret" {
					say("235 welcome")
				} else {
					say("535 no")
				}
			default:
				say("504 unknown mechanism")
			}
		case "MAIL":
			say("250 ok")
		case "RCPT":
			addr := strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">")
			say(s.rcpt(addr))
		case "DATA":
			say("354 go")
			var msg bytes.Buffer
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.record(func() { s.messages = append(s.messages, msg.String()) })
			say(s.data)
		case "BDAT":
			// RFC 3030: the chunk's octets, then one reply; the
			// message is recorded at LAST as received.
			size, last, _ := strings.Cut(arg, " ")
			n, err := strconv.Atoi(size)
			if err != nil {
				say("501 bad count")
				return
			}
			chunk := make([]byte, n)
			if _, err := io.ReadFull(br, chunk); err != nil {
				return
			}
			bdatMsg.Write(chunk)
			if last != "LAST" {
				say("250 chunk ok")
				continue
			}
			s.record(func() { s.messages = append(s.messages, bdatMsg.String()) })
			bdatMsg.Reset()
			say(s.data)
		case "QUIT":
			say("221 bye")
			return
		case "RSET", "NOOP":
			say("250 ok")
		default:
			say("502 unknown")
		}
	}
}

// testCert makes a self-signed certificate for names and IPs, and writes
// it as a PEM file to use as the CA file.
func testCert(t *testing.T, names []string, ips []net.IP) (*tls.Config, string) {
	t.Helper()
	c := testbin.NewCert(t, names, ips...)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, c.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{c.TLS()}}, ca
}
