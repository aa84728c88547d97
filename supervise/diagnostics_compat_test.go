package supervise

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// The supervise family's messages and exit codes are daemontools 0.76's,
// byte for byte, beside Debian's programs on the same failing situations.
func TestDiagnosticsMatchDebian(t *testing.T) {
	// d/supervise/ok exists with nobody reading it: no supervise there.
	notRunning := testbin.WithFixtures(func(t testing.TB, dir string) {
		testbin.Must(t, os.Mkdir(dir+"/d/supervise", 0o700))
		testbin.Must(t, syscall.Mkfifo(dir+"/d/supervise/ok", 0o600))
		testbin.Must(t, syscall.Mkfifo(dir+"/d/supervise/control", 0o600))
	})
	// d/supervise/lock held, as by a supervise already running there.
	locked := testbin.WithFixtures(func(t testing.TB, dir string) {
		testbin.Must(t, os.Mkdir(dir+"/d/supervise", 0o700))
		fd, err := syscall.Open(dir+"/d/supervise/lock", syscall.O_CREAT|syscall.O_WRONLY|syscall.O_APPEND|syscall.O_CLOEXEC, 0o600)
		testbin.Must(t, err)
		t.Cleanup(func() { syscall.Close(fd) })
		testbin.Must(t, syscall.Flock(fd, syscall.LOCK_EX))
	})
	dirs := []string{"missing", "f", "loop", "dangling", "d"}
	testbin.MatchPeer(t, "svok", []testbin.Situation{
		{Why: "no arguments"},
		{Why: "a missing directory", Args: []string{"missing"}, Setup: testbin.Fixtures},
		{Why: "a file", Args: []string{"f"}, Setup: testbin.Fixtures},
		{Why: "a symbolic link loop", Args: []string{"loop"}, Setup: testbin.Fixtures},
		{Why: "a directory never supervised", Args: []string{"d"}, Setup: testbin.Fixtures},
		{Why: "supervise not running", Args: []string{"d"}, Setup: notRunning},
	})
	testbin.MatchPeer(t, "svc", []testbin.Situation{
		{Why: "no arguments"},
		{Why: "an unknown option", Args: []string{"-z", "d"}, Skip: "the option list names q 1 2 w, which this svc adds (svc.8, DIFFERENCES)"},
		{Why: "every kind of bad directory", Args: append([]string{"-u"}, dirs...), Setup: testbin.Fixtures},
		{Why: "supervise not running", Args: []string{"-u", "d"}, Setup: notRunning},
	})
	testbin.MatchPeer(t, "svstat", []testbin.Situation{
		{Why: "no arguments"},
		{Why: "every kind of bad directory", Args: dirs, Setup: testbin.Fixtures},
		{Why: "supervise not running", Args: []string{"d"}, Setup: notRunning},
	})
	testbin.MatchPeer(t, "supervise", []testbin.Situation{
		{Why: "no arguments"},
		{Why: "a missing directory", Args: []string{"missing"}, Setup: testbin.Fixtures},
		{Why: "a file", Args: []string{"f"}, Setup: testbin.Fixtures},
		{Why: "a symbolic link loop", Args: []string{"loop"}, Setup: testbin.Fixtures},
		{Why: "a supervise already running there", Args: []string{"d"}, Setup: locked},
	})
	testbin.MatchPeer(t, "svscan", []testbin.Situation{
		{Why: "a missing directory", Args: []string{"missing"}, Setup: testbin.Fixtures},
		{Why: "a file", Args: []string{"f"}, Setup: testbin.Fixtures},
		{Why: "a symbolic link loop", Args: []string{"loop"}, Setup: testbin.Fixtures},
	})
}

// A run file that cannot be started: 0.76's forked child dies with a
// fatal line, which ours prints too (and goes on trying, as 0.76's
// parent does).
func TestStartFailureMatchesDebian(t *testing.T) {
	for _, c := range []struct {
		why  string
		run  string // contents of sv/run, "" for none
		want string
	}{
		{"no run file", "", "supervise: fatal: unable to start sv/run: file does not exist\n"},
		{"a run file that is not executable", "#!/bin/sh\n", "supervise: fatal: unable to start sv/run: access denied\n"},
	} {
		for _, bin := range []string{testbin.Peer(t, "supervise"), testbin.Path(t, "supervise")} {
			dir := t.TempDir()
			testbin.Must(t, os.Mkdir(dir+"/sv", 0o755))
			if c.run != "" {
				testbin.Must(t, os.WriteFile(dir+"/sv/run", []byte(c.run), 0o644))
			}
			r, w, err := os.Pipe()
			testbin.Must(t, err)
			cmd := exec.Command(bin, "sv")
			cmd.Dir, cmd.Stderr = dir, w
			testbin.Start(t, cmd)
			w.Close()
			r.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := bufio.NewReader(r).ReadString('\n')
			if line != c.want {
				t.Errorf("%s, %s: first line %q (%v), want %q", c.why, bin, line, err, c.want)
			}
			cmd.Process.Kill()
			r.Close()
		}
	}
}
