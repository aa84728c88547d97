package filter_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/internal/testbin"
)

// result is what a finished program left behind.
type result struct {
	stdout, stderr string
	code           int
}

// run runs argv with exactly env and stdin, and waits for it.
func run(t *testing.T, env []string, stdin string, argv ...string) result {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	out, errb, code := testbin.Run(t, cmd)
	return result{out, errb, code}
}

// readLine reads one line from a pipe, failing the test if none comes
// within the deadline.
func readLine(t *testing.T, r *os.File) string {
	t.Helper()
	if err := r.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if err != nil {
			t.Fatalf("reading a line (got %q so far): %v", line, err)
		}
		if n == 1 {
			line = append(line, b[0])
			if b[0] == '\n' {
				return string(line)
			}
		}
	}
}
