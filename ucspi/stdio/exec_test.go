package stdio

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

func testCommand(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{}
	return cmd
}

func runCmd(cmd *exec.Cmd) (stderr string, code int) {
	var e bytes.Buffer
	cmd.Stderr = &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		code = -1
	}
	return e.String(), code
}

func openDir(t *testing.T) (*os.File, error) {
	f, err := os.Open(t.TempDir())
	if err == nil {
		t.Cleanup(func() { f.Close() })
	}
	return f, err
}

func openFull() (*os.File, error) { return os.OpenFile("/dev/full", os.O_WRONLY, 0) }
