package testbin

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// ExitCode is the exit status err, from a command's Run or Wait, stands
// for: 0 for nil, -1 when a signal ended the program. Any other error
// (the program could not be started or waited for) fails the test.
func ExitCode(t testing.TB, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// Run runs cmd, collecting its stdout and stderr (those the caller did
// not set), and returns them with its exit status (see ExitCode).
func Run(t testing.TB, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &errb
	}
	code = ExitCode(t, cmd.Run())
	return out.String(), errb.String(), code
}

// Proc is a program a test started and waits for.
type Proc struct {
	Cmd    *exec.Cmd
	Stderr Output
	done   chan error
}

// Start starts cmd with its stderr going to Stderr (unless the caller set
// it), and kills it when the test ends.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, done: make(chan error, 1)}
	if cmd.Stderr == nil {
		cmd.Stderr = &p.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		err := <-p.done
		p.done <- err
	})
	return p
}

// Exit waits up to limit for the program to end and returns its exit
// status (see ExitCode); the test fails when it does not end in time.
func (p *Proc) Exit(t testing.TB, limit time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		return ExitCode(t, err)
	case <-time.After(limit):
		t.Fatalf("%s did not exit in %v", p.Cmd.Path, limit)
		return -1
	}
}
