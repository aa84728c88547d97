// Package checkpw runs a program of the checkpassword interface
// (https://cr.yp.to/checkpwd/interface.html), as qmail-popup and
// qmail-smtpd's SMTP AUTH do: the program reads up to 512 bytes from
// descriptor 3, "user\0password\0timestamp\0" (for CRAM-MD5, as
// cmd5checkpw expects, "user\0challenge\0response\0"), and exits 0 when
// the login is good (after running the rest of its arguments), 1 when it
// is bad, 2 when it was misused, and 111 for a temporary failure.
package checkpw

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Verdict is what a checkpassword program said.
type Verdict int

const (
	Good      Verdict = iota // exit 0
	Bad                      // exit 1 (and any other permanent answer)
	Temporary                // exit 111, a crash, or no program at all
)

// MaxInput is the interface's limit on what descriptor 3 carries.
const MaxInput = 512

// Check runs argv with env, handing it the three fields on descriptor 3.
// stdout and stderr are where the program's own output goes (for
// qmail-popup the program is qmail-pop3d and talks to the client).
func Check(argv, env []string, user, secret, extra []byte, stdin, stdout, stderr *os.File) (Verdict, error) {
	v, _, err := run(argv, env, user, secret, extra, stdin, stdout, stderr)
	return v, err
}

// CheckCode is Check for callers that give exit codes of their own a
// meaning (recipient checkers: 2 is "not my address"); it also returns
// the program's exit code, -1 when it did not exit normally.
func CheckCode(argv, env []string, user, secret, extra []byte) (Verdict, int, error) {
	return run(argv, env, user, secret, extra, nil, nil, nil)
}

func run(argv, env []string, user, secret, extra []byte, stdin, stdout, stderr *os.File) (Verdict, int, error) {
	if len(argv) == 0 {
		return Temporary, -1, errors.New("no checkpassword program")
	}
	if bytes.IndexByte(user, 0) >= 0 || bytes.IndexByte(secret, 0) >= 0 || bytes.IndexByte(extra, 0) >= 0 {
		// The fields are NUL-separated: a NUL inside one would let the
		// client write the fields after it (a CRAM-MD5 user carrying a
		// sniffed challenge and digest replays that login).
		return Bad, -1, errors.New("NUL byte in login data")
	}
	data := make([]byte, 0, len(user)+len(secret)+len(extra)+3)
	data = append(data, user...)
	data = append(data, 0)
	data = append(data, secret...)
	data = append(data, 0)
	data = append(data, extra...)
	data = append(data, 0)
	if len(data) > MaxInput {
		return Bad, -1, errors.New("login data too long")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return Temporary, -1, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.ExtraFiles = []*os.File{r}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return Temporary, -1, fmt.Errorf("unable to run %s: %w", argv[0], err)
	}
	r.Close()
	// The pipe holds 512 bytes without blocking; a program that never
	// reads it must not make us wait, so the write error is ignored.
	w.Write(data)
	w.Close()
	err = cmd.Wait()
	if err == nil {
		return Good, 0, nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return Temporary, -1, err
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Exited() {
		return Temporary, -1, fmt.Errorf("%s crashed", argv[0])
	}
	code := ws.ExitStatus()
	switch code {
	case 1, 2:
		return Bad, code, nil
	default:
		return Temporary, code, fmt.Errorf("%s exited %d", argv[0], code)
	}
}
