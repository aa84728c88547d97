package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// The run line of qmail's own boot scripts and of the seeds (SAGE-AU
// 2000, "Starting qmail"): qmail-start ./Mailbox splogger qmail. The mail
// lands in the user's mbox; qmail-send's log goes to syslog as mail.*
// records tagged qmail, each text behind splogger's stamp. The syslog
// socket is one of the test's own: splogger's DevLog is fixed at build
// time, like the qmail home.
func TestQmailStartWithSplogger(t *testing.T) {
	in := makeInstance(t)
	sock := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var (
		mu      sync.Mutex
		records []string
	)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			records = append(records, string(buf[:n]))
			mu.Unlock()
		}
	}()
	logged := func(pattern string) bool {
		re := regexp.MustCompile(pattern)
		mu.Lock()
		defer mu.Unlock()
		for _, r := range records {
			if re.MatchString(r) {
				return true
			}
		}
		return false
	}
	prog := testbin.BuildWith(t, "splogger", "github.com/quail-mta/quail/mta/splogger.DevLog="+sock)
	if err := os.Symlink(prog, filepath.Join(in.Bin, "splogger")); err != nil {
		t.Fatal(err)
	}
	in.startSend("./Mailbox", "splogger", "qmail")

	const head = `^<22>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d qmail: \d+\.\d{6} `
	if !testbin.Eventually(30*time.Second, func() bool { return logged(head + `status: local 0/\d+ remote 0/\d+$`) }) {
		t.Fatalf("no status record from qmail-send; records %q; qmail-start's output %q", records, in.log.String())
	}
	inject := exec.Command(filepath.Join(in.Bin, "qmail-inject"), "demo@mx.test")
	inject.Env = in.Env
	inject.Stdin = strings.NewReader("Subject: to the mbox\n\nhello\n")
	if out, err := inject.CombinedOutput(); err != nil {
		t.Fatalf("qmail-inject: %v: %s", err, out)
	}
	mbox := filepath.Join(filepath.Dir(in.Maildir), "Mailbox")
	if !testbin.Eventually(30*time.Second, func() bool {
		b, _ := os.ReadFile(mbox)
		return strings.Contains(string(b), "Subject: to the mbox\n") && strings.Contains(string(b), "\nhello\n")
	}) {
		b, _ := os.ReadFile(mbox)
		t.Fatalf("not delivered to %s (%q); records %q", mbox, b, records)
	}
	for _, p := range []string{
		`new msg \d+$`,
		`info msg \d+: bytes \d+ from <\S+> qp \d+ uid \d+$`,
		`starting delivery \d+: msg \d+ to local \S*demo@mx.test$`,
		`delivery \d+: success: `,
		`end msg \d+$`,
	} {
		if !testbin.Eventually(30*time.Second, func() bool { return logged(head + p) }) {
			t.Errorf("no record matching %q in %q", p, records)
		}
	}
	if out := in.log.String(); out != "" {
		t.Errorf("qmail-start's own output, with a logger: %q", out)
	}
}
