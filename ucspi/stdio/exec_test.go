package stdio

import (
	"os"
	"os/exec"
	"testing"

	"github.com/quail-mta/quail/internal/testbin"
)

func testCommand(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{}
	return cmd
}

func runCmd(t *testing.T, cmd *exec.Cmd) (stderr string, code int) {
	t.Helper()
	_, stderr, code = testbin.Run(t, cmd)
	return stderr, code
}

func openDir(t *testing.T) (*os.File, error) {
	f, err := os.Open(t.TempDir())
	if err == nil {
		t.Cleanup(func() { f.Close() })
	}
	return f, err
}

func openFull() (*os.File, error) { return os.OpenFile("/dev/full", os.O_WRONLY, 0) }
