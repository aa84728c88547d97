package e2e

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestRelayTricksRawEndToEnd sends, over a raw connection to tcpserver
// and qmail-smtpd with the real qmail-queue, the relay attempts a client
// library would not let through: a NUL that would add an envelope
// recipient, control bytes, quoted escapes, source routes, literals,
// trailing dots. Every message that reaches DATA is refused or empty of
// foreign recipients, and nothing is queued.
func TestRelayTricksRawEndToEnd(t *testing.T) {
	in := newInstance(t)
	port := in.smtpd(nil)
	tricks := []struct{ mail, rcpt string }{
		{"<a\x00Tvictim@far.test>", "<demo@mx.test>"},
		{"<a@b.test>", "<demo\x00Tvictim@far.test@mx.test>"},
		{"<a@b.test>", "<\"victim\\@far.test\"@mx.test>"},
		{"<a@b.test>", "<victim%far.test@mx.test>"},
		{"<a@b.test>", "<@mx.test,@x:victim@far.test>"},
		{"<a@b.test>", "<victim@[192.0.2.1]>"},
		{"<a@b.test>", "<victim@[IPv6:2001:db8::1]>"},
		{"<a@b.test>", "<victim@far.test.>"},
		{"<a@b.test>", "<victim@MX.TEST.far.test>"},
		{"<a@b.test>", "victim@far.test"},
	}
	for _, tr := range tricks {
		conn, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		r := bufio.NewReader(conn)
		send := func(cmd string) string {
			if cmd != "" {
				conn.Write([]byte(cmd + "\r\n"))
			}
			var last string
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return "EOF"
				}
				if len(l) < 4 || l[3] != '-' {
					last = l
					break
				}
			}
			return last
		}
		send("")
		send("HELO client.test")
		send("MAIL FROM:" + tr.mail)
		rcpt := send("RCPT TO:" + tr.rcpt)
		data := send("DATA")
		if strings.HasPrefix(data, "354") {
			data = send("Subject: relay\r\n\r\nx\r\n.")
		}
		send("QUIT")
		conn.Close()
		if strings.HasPrefix(data, "250") {
			t.Errorf("MAIL %q RCPT %q: queued (RCPT said %q)", tr.mail, tr.rcpt, strings.TrimSpace(rcpt))
		}
	}
	if !in.queueEmpty() {
		t.Fatal("a relay attempt reached the queue")
	}
}
