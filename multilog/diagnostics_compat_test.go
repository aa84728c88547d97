package multilog

import (
	"os"
	"syscall"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

// multilog's messages and exit codes are 0.76's, byte for byte, beside
// Debian's multilog on the same failing situations. (A script 0.76 reads
// only in part, such as one with an unknown letter, is read the same way
// with a warning: TestCompatOldScripts.)
func TestDiagnosticsMatchDebian(t *testing.T) {
	locked := testbin.WithFixtures(func(t testing.TB, dir string) {
		testbin.Must(t, os.Mkdir(dir+"/main", 0o700))
		fd, err := syscall.Open(dir+"/main/lock", syscall.O_CREAT|syscall.O_WRONLY|syscall.O_APPEND|syscall.O_CLOEXEC, 0o600)
		testbin.Must(t, err)
		t.Cleanup(func() { syscall.Close(fd) })
		testbin.Must(t, syscall.Flock(fd, syscall.LOCK_EX))
	})
	badCurrent := testbin.WithFixtures(func(t testing.TB, dir string) {
		testbin.Must(t, os.Mkdir(dir+"/main", 0o700))
		testbin.Must(t, os.Symlink("current", dir+"/main/current"))
	})
	testbin.MatchPeer(t, "multilog", []testbin.Situation{
		{Why: "an empty script reads its input and discards it", Stdin: "one\ntwo\n"},
		{Why: "e alone copies the lines to standard error", Args: []string{"e"}, Stdin: "one\ntwo"},
		{Why: "a directory in a missing one", Args: []string{"./missing/main"}, Setup: testbin.Fixtures},
		{Why: "a file for a directory", Args: []string{"./f"}, Setup: testbin.Fixtures},
		{Why: "a symbolic link loop for a directory", Args: []string{"./loop"}, Setup: testbin.Fixtures},
		{Why: "a directory locked by another multilog", Args: []string{"./main"}, Setup: locked},
		{Why: "a current that cannot be looked at", Args: []string{"./main"}, Setup: badCurrent},
		{Why: "a status file in a missing directory", Args: []string{"=missing/status"}, Setup: testbin.Fixtures},
		{Why: "a status file that is a directory", Args: []string{"=d"}, Setup: testbin.Fixtures},
		{Why: "status files are opened before directories", Args: []string{"./loop", "=d"}, Setup: testbin.Fixtures},
	})
}
