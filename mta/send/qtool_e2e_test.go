package send

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

func (in *instance) run(prog string, args ...string) (string, int) {
	in.t.Helper()
	cmd := exec.Command(testbin.Path(in.t, prog), args...)
	cmd.Env = in.env()
	out, err := cmd.CombinedOutput()
	return string(out), testbin.ExitCode(in.t, err)
}

// TestQueueToolsWhileRunning reads, expedites and removes messages while
// qmail-send runs; the removal goes through qmail-send's bookkeeping.
func TestQueueToolsWhileRunning(t *testing.T) {
	in := newInstance(t, nil)
	in.start()
	in.inject("Subject: stays\n\n", "s@localhost", "a@defer.example", "b@defer.example")
	id := in.waitLog(`new msg (\d+)\n`)[1]
	in.waitLog(`delivery \d+: deferral: (.|\n)*delivery \d+: deferral: `)

	out, code := in.run("qmail-qread")
	want := regexp.MustCompile(`^\d+ \w{3} \d{4} \d\d:\d\d:\d\d GMT  #` + id + `  \d+  <s@localhost> \n\t\tremote\ta@defer.example\n\t\tremote\tb@defer.example\n$`)
	if code != 0 || !want.MatchString(out) {
		t.Errorf("qmail-qread exit %d:\n%q", code, out)
	}
	out, _ = in.run("qmail-qstat")
	if out != "messages in queue: 1\nmessages in queue but not yet preprocessed: 0\n" {
		t.Errorf("qmail-qstat: %q", out)
	}
	out, _ = in.run("qmail-qtool", "list")
	if !strings.HasPrefix(out, id+" queued age ") || !strings.Contains(out, "recipients 2 left 2") {
		t.Errorf("list: %q", out)
	}
	out, _ = in.run("qmail-qtool", "show", id)
	if !strings.Contains(out, "header:\nReceived: (qmail ") || !strings.Contains(out, "Subject: stays\n") {
		t.Errorf("show: %q", out)
	}

	// Expedite: the deferred deliveries are tried again at once.
	in.inject("Subject: later\n\n", "s@localhost", "c@defer.example")
	id2 := in.waitLog(`new msg (\d+)\n(.|\n)*new msg (\d+)\n`)[3]
	in.waitLog(`msg ` + id2 + ` to remote c@defer.example\n(.|\n)*deferral`)
	starts := strings.Count(in.log(), "to remote c@defer.example")
	if _, code := in.run("qmail-qtool", "expedite", id2); code != 0 {
		t.Errorf("expedite exit %d", code)
	}
	for i := 0; strings.Count(in.log(), "to remote c@defer.example") == starts; i++ {
		if i > 3000 {
			t.Fatalf("expedite did not start a delivery:\n%s", in.log())
		}
		sleepBriefly()
	}

	// Remove: no bounce, the message ends, the queue forgets it.
	if out, code := in.run("qmail-qtool", "remove", id); code != 0 {
		t.Fatalf("remove exit %d: %s", code, out)
	}
	in.waitLog(`remove msg ` + id + `\n(.|\n)*end msg ` + id + `\n`)
	if strings.Contains(in.log(), "bounce msg "+id) {
		t.Error("a removed message was bounced")
	}
	if out, code := in.run("qmail-qtool", "remove", id); code != 100 {
		t.Errorf("removing it again: exit %d, %s", code, out)
	}
	out, _ = in.run("qmail-qstat")
	if !strings.HasPrefix(out, "messages in queue: 1\n") {
		t.Errorf("after removal: %q", out)
	}
}
