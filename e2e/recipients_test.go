package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestRecipientsPastTheCeiling: Python's smtplib sends one message to
// 10,021 recipients. qmail-smtpd accepts 10,000 (its ceiling without
// MAXRECIPIENTS) and answers the other 21 with 452, which RFC 5321
// 4.5.3.1.10 tells the client to send again in another transaction, as
// the script does. Counted as errors they used to end the session with
// 421, losing the 10,000. Both messages reach the queue (qmail-send is
// not started: its todo/ holds their envelopes).
func TestRecipientsPastTheCeiling(t *testing.T) {
	python := testbin.Peer(t, "python3")
	in := makeInstance(t)
	port := in.smtpd(nil)
	script := `
import smtplib, sys
rcpts = ["u%d@mx.test" % i for i in range(10021)]
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test")
refused = s.sendmail("bulk@remote.test", rcpts, "Subject: many\r\n\r\nbody\r\n")
assert sorted(refused) == sorted(rcpts[10000:]), len(refused)
for code, text in refused.values():
    assert (code, text) == (452, b"4.5.3 sorry, too many recipients (#4.5.3)"), (code, text)
again = s.sendmail("bulk@remote.test", list(refused), "Subject: the rest\r\n\r\nbody\r\n")
assert again == {}, again
s.quit()
`
	if out, err := exec.Command(python, "-c", script, port).CombinedOutput(); err != nil {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	var counts []int
	todo := filepath.Join(in.Home, "queue", "todo")
	filepath.Walk(todo, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			counts = append(counts, strings.Count(string(b), "\x00T"))
		}
		return nil
	})
	sort.Ints(counts)
	if len(counts) != 2 || counts[0] != 21 || counts[1] != 10000 {
		t.Errorf("queued envelopes with %v recipients, want [21 10000]", counts)
	}
}
