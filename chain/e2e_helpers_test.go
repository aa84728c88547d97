package chain_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
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
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode() // -1 when killed by a signal
	case err != nil:
		t.Fatalf("run %q: %v", argv, err)
	}
	return result{out.String(), errb.String(), code}
}

// waitFor polls cond every few milliseconds until it holds or the
// deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
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

const basePath = "PATH=/usr/bin:/bin"

func itoa(n int) string { return strconv.Itoa(n) }
