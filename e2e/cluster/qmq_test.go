package cluster

import (
	"fmt"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQMQ is the Qmail Multiple Queue of Spamcontrol (EuroBSDCon 2010,
// "3.6 QMQ"; Spamcontrol's README.qmq): on one machine, a front instance
// takes mail from the Internet and hands each downstream domain by QMTP
// to a secondary instance of its own (control/qmtproutes), each with its
// own queue, so that delivery to one domain does not depend on another.
// Here sales.example.test goes to q1 (QMTP on 127.0.0.1:2091) and
// devel.example.test to q2 (127.0.0.1:2092); q2 is down at first: sales
// mail arrives meanwhile, devel mail waits in the front's queue and
// arrives when q2 is started.
func TestQMQ(t *testing.T) {
	n := newNetwork(t)
	deadline := time.Now().Add(2 * time.Minute)
	const ip = subnet + "50"
	n.dns("front.example.test. A " + ip + "\n")
	ns := n.addHost("qmq", ip)
	front := newInstance(t, n, ns, "front", ip, mxPrograms, false)
	secondary := append(append(append([]string{}, daemontools...), sendPrograms...), "tcpserver", "qmail-qmtpd")
	q1 := newInstance(t, n, ns, "q1", "127.0.0.1", secondary, true, "-p", "qmtpd=2091")
	q2 := newInstance(t, n, ns, "q2", "127.0.0.1", secondary, true, "-p", "qmtpd=2092")
	domains := map[*host]string{q1: "sales.example.test", q2: "devel.example.test"}
	for q, d := range domains {
		front.addControl("rcpthosts", d)
		q.addControl("locals", d)
		q.addControl("rcpthosts", d)
	}
	front.control("qmtproutes", "sales.example.test:127.0.0.1:2091\ndevel.example.test:127.0.0.1:2092\n")
	for _, h := range []*host{front, q1, q2} {
		t.Cleanup(h.dumpLogs)
		t.Cleanup(h.stop)
	}
	front.start()
	q1.start()
	wait(t, deadline, 30*time.Second, "the front and q1 to listen", func() bool {
		return n.listening(ip+":25") && n.insideListening(ns, "127.0.0.1:2091")
	})

	// Mail from the Internet: SMTP to the front, from the switch.
	const each = 10
	for i := 0; i < each; i++ {
		for _, d := range []string{"sales.example.test", "devel.example.test"} {
			id := fmt.Sprintf("%s-%02d", strings.SplitN(d, ".", 2)[0], i)
			if err := n.inside(n.sw, func() error { return sendSMTP(ip+":25", "demo@"+d, id) }); err != nil {
				t.Fatalf("SMTP to the front: %v", err)
			}
		}
	}
	got := func(q *host) []copy {
		return newMailboxes([]*host{front, q1, q2}, q).scan()
	}
	wait(t, deadline, 30*time.Second, "the sales mail in q1", func() bool { return len(got(q1)) == each })
	if front.drained() {
		t.Errorf("the front has nothing left to deliver while q2 is down: the devel mail is gone")
	}
	if k := len(got(q2)); k != 0 {
		t.Errorf("%d devel messages arrived before q2 was started", k)
	}

	q2.start()
	wait(t, deadline, 30*time.Second, "q2 to listen", func() bool { return n.insideListening(ns, "127.0.0.1:2092") })
	waitFlushing(t, deadline, 30*time.Second, "the devel mail in q2", []*host{front}, func() bool { return len(got(q2)) == each })
	wait(t, deadline, 30*time.Second, "every queue to empty", func() bool {
		return front.drained() && q1.drained() && q2.drained()
	})
	for q, d := range domains {
		prefix := strings.SplitN(d, ".", 2)[0] + "-"
		seen := map[string]bool{}
		for _, c := range got(q) {
			if !strings.HasPrefix(c.id, prefix) || seen[c.id] {
				t.Errorf("%s: %s, delivered twice or for the wrong domain", q.name, c.id)
			}
			seen[c.id] = true
			if p := strings.Join(c.path, " "); p != "front "+q.name {
				t.Errorf("%s reached %s by %q, not from the front", c.id, q.name, p)
			}
		}
		// The secondary's Received line says the mail came by QMTP.
		ents, _ := os.ReadDir(filepath.Join(q.demo, "new"))
		if len(ents) > 0 {
			b, _ := os.ReadFile(filepath.Join(q.demo, "new", ents[0].Name()))
			if !strings.Contains(string(b), "by "+q.fqdn+" with QMTP") {
				t.Errorf("%s: no QMTP Received line:\n%s", q.name, b)
			}
		}
	}
}

// sendSMTP sends one message with the X-Cluster-Id id by Go's SMTP client.
func sendSMTP(addr, to, id string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	host, _, _ := net.SplitHostPort(addr)
	s, err := smtp.NewClient(c, host)
	if err != nil {
		c.Close()
		return err
	}
	defer s.Close()
	if err := s.Hello("internet.example.test"); err != nil {
		return err
	}
	if err := s.Mail("sender@internet.example.test"); err != nil {
		return err
	}
	if err := s.Rcpt(to); err != nil {
		return err
	}
	w, err := s.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: sender@internet.example.test\r\nTo: %s\r\nSubject: qmq %s\r\nX-Cluster-Id: %s\r\n\r\nmessage %s\r\n", to, id, id, id)
	if err := w.Close(); err != nil {
		return err
	}
	return s.Quit()
}
