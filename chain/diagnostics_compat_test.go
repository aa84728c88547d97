package chain_test

import (
	"os"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// Usage lines, error messages and exit codes are the original's, byte for
// byte: each program runs beside Debian's on the same failing situations.

func TestEnvdirDiagnosticsMatchDebian(t *testing.T) {
	testbin.MatchPeer(t, "envdir", append([]testbin.Situation{
		{Why: "no arguments"},
		{Why: "no child", Args: []string{"env"}, Setup: testbin.Fixtures},
		{Why: "a missing directory", Args: []string{"missing", "true"}, Setup: testbin.Fixtures},
		{Why: "a file for a directory", Args: []string{"f", "true"}, Setup: testbin.Fixtures},
		{Why: "a symbolic link loop for a directory", Args: []string{"loop", "true"}, Setup: testbin.Fixtures},
		{Why: "a dangling symbolic link for a directory", Args: []string{"dangling", "true"}, Setup: testbin.Fixtures},
		{Why: "options are not parsed: -x is a directory name", Args: []string{"-x", "env", "true"}, Setup: testbin.Fixtures},
		{Why: "a subdirectory in the directory", Args: []string{"env", "true"}, Setup: testbin.WithFixtures(func(t testing.TB, dir string) {
			testbin.Must(t, os.Mkdir(dir+"/env/SUB", 0o755))
		})},
		{Why: "a symbolic link loop in the directory", Args: []string{"env", "true"}, Setup: testbin.WithFixtures(func(t testing.TB, dir string) {
			testbin.Must(t, os.Symlink("L", dir+"/env/L"))
		})},
	}, testbin.ChildSituations("env")...))
}

func TestEnvuidgidDiagnosticsMatchDebian(t *testing.T) {
	testbin.MatchPeer(t, "envuidgid", append([]testbin.Situation{
		{Why: "no arguments"},
		{Why: "no child", Args: []string{"root"}},
		{Why: "an unknown account", Args: []string{"no-such-account", "true"}},
		{Why: "options are not parsed", Args: []string{"-x", "true"}},
	}, testbin.ChildSituations("root")...))
}

func TestSetuidgidDiagnosticsMatchDebian(t *testing.T) {
	testbin.MatchPeer(t, "setuidgid", append([]testbin.Situation{
		{Why: "no arguments"},
		{Why: "no child", Args: []string{"root"}},
		{Why: "an unknown account", Args: []string{"no-such-account", "true"}},
	}, testbin.ChildSituations("root")...))
}

func TestSetlockDiagnosticsMatchDebian(t *testing.T) {
	held := testbin.WithFixtures(func(t testing.TB, dir string) {
		// The test holds the lock on an open file description of its
		// own, which both programs' flock then finds taken.
		fd, err := syscall.Open(dir+"/lock", syscall.O_CREAT|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o600)
		testbin.Must(t, err)
		t.Cleanup(func() { syscall.Close(fd) })
		testbin.Must(t, syscall.Flock(fd, syscall.LOCK_EX))
	})
	testbin.MatchPeer(t, "setlock", append([]testbin.Situation{
		{Why: "no arguments"},
		{Why: "no child", Args: []string{"file"}},
		{Why: "an unknown option", Args: []string{"-y", "file", "true"}},
		{Why: "a file in a missing directory", Args: []string{"missing/lock", "true"}, Setup: testbin.Fixtures},
		{Why: "a directory for a file", Args: []string{"d", "true"}, Setup: testbin.Fixtures},
		{Why: "a symbolic link loop for a file", Args: []string{"loop", "true"}, Setup: testbin.Fixtures},
		{Why: "a path through a file", Args: []string{"f/lock", "true"}, Setup: testbin.Fixtures},
		{Why: "-x: an open that fails is silent", Args: []string{"-x", "missing/lock", "true"}, Setup: testbin.Fixtures},
		{Why: "-n on a lock held elsewhere: EAGAIN is temporary failure", Args: []string{"-n", "lock", "true"}, Setup: held},
		{Why: "-nx on a lock held elsewhere", Args: []string{"-nx", "lock", "true"}, Setup: held},
	}, testbin.ChildSituations("lock")...))
}

func TestSoftlimitDiagnosticsMatchDebian(t *testing.T) {
	testbin.MatchPeer(t, "softlimit", append([]testbin.Situation{
		{Why: "no arguments"},
		{Why: "an unknown option", Args: []string{"-x"}},
		{Why: "a value that is not a number", Args: []string{"-m", "abc", "true"}},
		{Why: "no child", Args: []string{"-m", "100000000"}},
	}, testbin.ChildSituations("-o", "100")...))
}

func TestSmallToolsDiagnosticsMatchDebian(t *testing.T) {
	testbin.MatchPeer(t, "pgrphack", append([]testbin.Situation{{Why: "no arguments"}}, testbin.ChildSituations()...))
	testbin.MatchPeer(t, "fghack", append([]testbin.Situation{{Why: "no arguments"}}, testbin.ChildSituations()...))
	testbin.MatchPeer(t, "readproctitle", []testbin.Situation{
		{Why: "no arguments"},
		{Why: "a last argument shorter than 5 bytes", Args: []string{"abcd"}},
	})
}
