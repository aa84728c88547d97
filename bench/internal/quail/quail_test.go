package quail

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quail-mta/quail/bench/internal/smtpsend"
	"github.com/quail-mta/quail/internal/testbin"
)

// A built instance accepts a message through tcpserver and qmail-smtpd,
// delivers it into the Maildir and empties its queue; Stop ends the
// sessions' server.
func TestStartDeliverStop(t *testing.T) {
	bin := testbin.Dir(t, programs...)
	in, err := Start(t.TempDir(), bin)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	srv, err := in.SMTPD(10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := send(srv.Addr, in.Recipient); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, in, 1)
	in.Stop()
	if c, err := net.DialTimeout("tcp", srv.Addr, time.Second); err == nil {
		c.Close()
		t.Fatal("tcpserver still accepts after Stop")
	}
}

func send(addr, to string) error {
	_, err := smtpsend.One(addr, "a@remote.test", to, []byte("Subject: t\r\n\r\nbody\r\n"))
	return err
}

// waitDelivered waits up to 30 s for n messages in the instance's
// Maildir/new and nothing left in its queue.
func waitDelivered(t *testing.T, in *Instance, n int) {
	t.Helper()
	newDir := filepath.Join(in.Maildir, "new")
	count := func() int { ents, _ := os.ReadDir(newDir); return len(ents) }
	if !testbin.Eventually(30*time.Second, func() bool { return count() == n && in.QueueEmpty() }) {
		b, _ := os.ReadFile(in.Log)
		t.Fatalf("%d messages in new/, queue empty %v after 30 s\n%s", count(), in.QueueEmpty(), b)
	}
}
