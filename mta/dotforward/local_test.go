package dotforward

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// TestUnderQmailLocal runs dot-forward as qmail-start's default delivery,
// '|dot-forward .forward' then './Maildir/', through quail's
// qmail-local, as qmail's installation documents it for sendmail users.
func TestUnderQmailLocal(t *testing.T) {
	local := testbin.Path(t, "qmail-local")
	bin := testbin.Dir(t, "dot-forward", "qmail-local")
	for _, c := range []struct {
		why, forward string
		kept         bool   // a copy in ./Maildir/
		queued       string // the forward's envelope
	}{
		{why: "no .forward: the mailbox", kept: true},
		{why: "an empty .forward: the mailbox", forward: "", kept: true},
		{why: "forward only", forward: "fred@else.test\n", queued: "Fsender@origin.test\x00Tfred@else.test\x00\x00"},
		{why: "forward and keep a copy", forward: "\\joe, fred@else.test\n", kept: true, queued: "Fsender@origin.test\x00Tfred@else.test\x00\x00"},
	} {
		base := t.TempDir()
		home := filepath.Join(base, "home")
		for _, d := range []string{"Maildir/tmp", "Maildir/new", "Maildir/cur"} {
			testbin.Must(t, os.MkdirAll(filepath.Join(home, d), 0o700))
		}
		if c.forward != "" || c.why == "an empty .forward: the mailbox" {
			testbin.Must(t, os.WriteFile(filepath.Join(home, ".forward"), []byte(c.forward), 0o644))
		}
		qhome := filepath.Join(base, "qmail")
		testbin.WriteFiles(t, qhome, map[string]string{"control/me": "example.com\n"})
		q := testbin.StandInQueue(t, filepath.Join(qhome, "bin"))
		msgFile := filepath.Join(base, "message")
		testbin.Must(t, os.WriteFile(msgFile, []byte("Subject: hi\n\nbody\n"), 0o644))
		in, err := os.Open(msgFile)
		testbin.Must(t, err)
		cmd := exec.Command(local, "joe", home, "joe", "", "", "example.com", "sender@origin.test", "|dot-forward .forward\n./Maildir/\n")
		cmd.Stdin = in
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "QMAILHOME=" + qhome}
		out, errs, code := testbin.Run(t, cmd)
		in.Close()
		if code != 0 {
			t.Errorf("%s: qmail-local exit %d %q %q", c.why, code, out, errs)
			continue
		}
		ents, _ := os.ReadDir(filepath.Join(home, "Maildir", "new"))
		if kept := len(ents) == 1; kept != c.kept {
			t.Errorf("%s: %d messages in the Maildir", c.why, len(ents))
		}
		queued := q.Queued(t)
		switch {
		case c.queued == "" && len(queued) != 0:
			t.Errorf("%s: forwarded %q", c.why, queued)
		case c.queued != "" && (len(queued) != 1 || !strings.HasSuffix(queued[0], "|"+c.queued) || !strings.HasPrefix(queued[0], "Delivered-To: joe@example.com\n")):
			t.Errorf("%s: forwarded %q, want envelope %q", c.why, queued, c.queued)
		}
	}
}
