package testbin

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPSink is an SMTP server on 127.0.0.1 that accepts every command and
// keeps each message's data (dot-stuffing left as it came) and envelope,
// for tests of what delivers to a remote host. It refuses for good (550)
// every recipient whose mailbox starts with "refuse", so that tests can
// make a remote delivery fail.
type SMTPSink struct {
	Addr string // 127.0.0.1:port
	mu   sync.Mutex
	msgs []string
	envs []SinkEnvelope
}

// SinkEnvelope is what one message came with: the MAIL FROM address and
// the accepted RCPT TO addresses, without their angle brackets.
type SinkEnvelope struct {
	From string
	To   []string
}

// StartSMTPSink listens on a port the kernel picks until the test ends.
func StartSMTPSink(t testing.TB) *SMTPSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &SMTPSink{Addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// Port is the sink's port number as text.
func (s *SMTPSink) Port() string {
	_, port, _ := net.SplitHostPort(s.Addr)
	return port
}

func (s *SMTPSink) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	say := func(l string) { c.Write([]byte(l + "\r\n")) }
	say("220 sink.test ESMTP")
	var env SinkEnvelope
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(l)); {
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.envs = append(s.envs, env)
			s.mu.Unlock()
			env = SinkEnvelope{}
			say("250 ok queued")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			env = SinkEnvelope{From: sinkPath(l)}
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to := sinkPath(l)
			if strings.HasPrefix(to, "refuse") {
				say("550 sorry, no mailbox here by that name")
				continue
			}
			env.To = append(env.To, to)
			say("250 ok")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

// Messages is what the sink has received so far.
func (s *SMTPSink) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// Envelopes is the envelope of each message received so far, in the
// order of Messages.
func (s *SMTPSink) Envelopes() []SinkEnvelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SinkEnvelope(nil), s.envs...)
}

// sinkPath is the address between the first '<' and the last '>' of a
// MAIL or RCPT command line.
func sinkPath(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.LastIndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// Got tells whether some message received contains text.
func (s *SMTPSink) Got(text string) bool {
	for _, m := range s.Messages() {
		if strings.Contains(m, text) {
			return true
		}
	}
	return false
}
