package e2e

import (
	"bufio"
	"net"
	"os"
	"regexp"
	"testing"
	"time"
)

// TestQPFollowsAMessage: messages sent to one long-lived qmail-smtpd
// (tcpserver with TCPSERVERREUSE, several connections and several
// messages a connection), each queued by qmail-queue's code inside that
// qmail-smtpd, get qps that all differ; each qp in qmail-smtpd's "250 ok
// ... qp N" is the one qmail-send's info msg line and the message's
// Received line give, so a message can be followed from the SMTP log to
// the delivery log.
func TestQPFollowsAMessage(t *testing.T) {
	in := newInstance(t)
	port := in.smtpd([]string{"TCPSERVERREUSE=10"})
	var qps []string
	okRx := regexp.MustCompile(`^250 ok \d+ qp (\d+)\r\n$`)
	for c := 0; c < 3; c++ {
		conn, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		r := bufio.NewReader(conn)
		say := func(cmd string) string {
			t.Helper()
			if cmd != "" {
				conn.Write([]byte(cmd + "\r\n"))
			}
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("after %q: %v", cmd, err)
				}
				if len(l) < 4 || l[3] != '-' {
					return l
				}
			}
		}
		say("")
		say("HELO client.test")
		for m := 0; m < 2; m++ {
			say("MAIL FROM:<s@client.test>")
			say("RCPT TO:<demo@mx.test>")
			say("DATA")
			reply := say("Subject: qp\r\n\r\nbody\r\n.")
			sub := okRx.FindStringSubmatch(reply)
			if sub == nil {
				t.Fatalf("DATA answered %q", reply)
			}
			qps = append(qps, sub[1])
		}
		say("QUIT")
		conn.Close()
	}
	seen := map[string]bool{}
	for _, qp := range qps {
		if seen[qp] {
			t.Errorf("qp %s given twice: %v", qp, qps)
		}
		seen[qp] = true
	}
	msgs := in.waitDelivered(len(qps), 30*time.Second)
	for _, qp := range qps {
		rx := regexp.MustCompile(`(?m)^info msg \d+: bytes \d+ from <s@client.test> qp ` + qp + ` uid \d+$`)
		if n := len(rx.FindAllString(in.log.String(), -1)); n != 1 {
			t.Errorf("qp %s in %d info msg lines, want 1; log:\n%s", qp, n, in.log.String())
		}
	}
	received := regexp.MustCompile(`\nReceived: \(qmail (\d+) invoked from network\);`)
	for _, p := range msgs {
		b, _ := os.ReadFile(p)
		m := received.FindStringSubmatch(string(b))
		if m == nil || !seen[m[1]] {
			t.Errorf("delivered message's Received line names qp %v, none of %v:\n%s", m, qps, b)
			continue
		}
		delete(seen, m[1])
	}
	if len(seen) != 0 {
		t.Errorf("qps %v in no Received line", seen)
	}
}
