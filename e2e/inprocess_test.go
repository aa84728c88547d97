package e2e

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
	"github.com/quail-mta/quail/mta/queue"
)

// TestInProcessSwitch: a qmail-smtpd linked with in-process running on
// queues inside itself (the qp is one queue.InProcessQP gives, above
// every pid); linked with launch.InProcess=no (make INPROCESS=no) it
// starts qmail-queue as a program, whose pid is the qp, as in qmail.
func TestInProcessSwitch(t *testing.T) {
	for _, mode := range []string{"yes", "no"} {
		in := makeInstance(t)
		smtpd := filepath.Join(in.Bin, "qmail-smtpd")
		os.Remove(smtpd)
		built := testbin.BuildWith(t, "qmail-smtpd", "github.com/quail-mta/quail/internal/launch.InProcess="+mode)
		if err := os.Symlink(built, smtpd); err != nil {
			t.Fatal(err)
		}
		qp := sendOne(t, in.smtpd(nil))
		if inside := qp >= queue.PIDLimit; inside != (mode == "yes") {
			t.Errorf("InProcess=%s: qp %d, queued inside %v", mode, qp, inside)
		}
	}
}

// sendOne sends one message to the SMTP server on port and returns the
// qp of its 250 reply.
func sendOne(t *testing.T, port string) int {
	t.Helper()
	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	conn.Write([]byte("HELO client.test\r\nMAIL FROM:<s@client.test>\r\nRCPT TO:<demo@mx.test>\r\nDATA\r\n"))
	for i := 0; i < 5; i++ { // greeting, HELO, MAIL, RCPT, 354
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	conn.Write([]byte("Subject: qp\r\n\r\nbody\r\n.\r\nQUIT\r\n"))
	reply, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^250 ok \d+ qp (\d+)\r\n$`).FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("DATA answered %q", reply)
	}
	qp, _ := strconv.Atoi(m[1])
	return qp
}
