// Package qqclient hands a message to qmail-queue(8) the way qmail's
// qmail_open/qmail_close do for qmail-local, forward(1) and
// condredirect(1): the program is $QMAILQUEUE if set, else
// bin/qmail-queue, run in the qmail home (a relative $QMAILQUEUE is taken
// from there too); the message goes to its fd 0, then the envelope to its
// fd 1:
//
//	F sender \0  T recipient \0 ...  \0
//
// Its exit code is turned into qmail's one-letter result: "" for success,
// "D" and a reason for a permanent failure, "Z" and a reason for a
// temporary one, with qmail's texts.
package qqclient

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Program returns the qmail-queue to run for a program whose environment
// lookup is getenv.
func Program(getenv func(string) (string, bool)) string {
	if q, ok := getenv("QMAILQUEUE"); ok && q != "" {
		return q
	}
	return "bin/qmail-queue"
}

// Injection is one run of qmail-queue.
type Injection struct {
	Home    string    // the qmail home: qmail-queue's working directory
	Program string    // from Program
	Env     []string  // qmail-queue's environment
	Stderr  io.Writer // qmail-queue's fd 2 (nil: discarded)
}

// Result is what came of an injection.
type Result struct {
	Pid    int    // qmail-queue's process id (qmail-local reports it as "qp")
	Status string // "" queued, or 'D'/'Z' followed by the reason
}

// OK says whether the message was queued.
func (r Result) OK() bool { return r.Status == "" }

// Permanent says whether the failure is permanent.
func (r Result) Permanent() bool { return strings.HasPrefix(r.Status, "D") }

// Reason is the failure's text without its letter.
func (r Result) Reason() string {
	if r.Status == "" {
		return ""
	}
	return r.Status[1:]
}

// Run sends prefix, then msg, to qmail-queue with the envelope. A failure
// to read msg makes the injection fail even if qmail-queue accepted what
// it got, as qmail_fail does.
func (in Injection) Run(prefix []byte, msg io.Reader, sender string, recips []string) Result {
	if st, err := os.Stat(in.Home); err != nil || !st.IsDir() {
		return Result{Status: "Zqq trouble in home directory (#4.3.0)"}
	}
	prog := in.Program
	if !filepath.IsAbs(prog) {
		prog = filepath.Join(in.Home, prog)
	}
	mr, mw, err := os.Pipe()
	if err != nil {
		return Result{Status: "Zunable to exec qq (#4.3.0)"}
	}
	er, ew, err := os.Pipe()
	if err != nil {
		mr.Close()
		mw.Close()
		return Result{Status: "Zunable to exec qq (#4.3.0)"}
	}
	cmd := exec.Command(prog)
	cmd.Args[0] = in.Program
	cmd.Dir = in.Home
	cmd.Env = in.Env
	cmd.Stdin = mr
	cmd.Stdout = er
	cmd.Stderr = in.Stderr
	err = cmd.Start()
	mr.Close()
	er.Close()
	if err != nil {
		mw.Close()
		ew.Close()
		return Result{Status: "Zunable to exec qq (#4.3.0)"}
	}
	failed := false
	bw := bufio.NewWriterSize(mw, 64<<10)
	if _, err := bw.Write(prefix); err != nil {
		failed = true
	}
	if !failed {
		if _, err := io.Copy(bw, msg); err != nil {
			failed = true
		}
	}
	if err := bw.Flush(); err != nil {
		failed = true
	}
	mw.Close()
	bw = bufio.NewWriter(ew)
	bw.WriteString("F" + sender + "\x00")
	for _, r := range recips {
		bw.WriteString("T" + r + "\x00")
	}
	bw.WriteByte(0)
	if err := bw.Flush(); err != nil {
		failed = true
	}
	ew.Close()
	err = cmd.Wait()
	res := Result{Pid: cmd.Process.Pid}
	code := 0
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		code = ee.ExitCode()
	case errors.As(err, &ee):
		res.Status = "Zqq crashed (#4.3.0)"
		return res
	default:
		res.Status = "Zqq waitpid surprise (#4.3.0)"
		return res
	}
	if code == 0 && failed {
		code = 54
	}
	res.Status = Describe(code)
	return res
}

// Describe is qmail_close's text for a qmail-queue exit code, with its
// result letter.
func Describe(code int) string {
	switch code {
	case 0:
		return ""
	case 11, 115:
		return "Denvelope address too long for qq (#5.1.3)"
	case 31:
		return "Dmail server permanently rejected message (#5.3.0)"
	case 51:
		return "Zqq out of memory (#4.3.0)"
	case 52:
		return "Zqq timeout (#4.3.0)"
	case 53:
		return "Zqq write error or disk full (#4.3.0)"
	case 54:
		return "Zqq read error (#4.3.0)"
	case 55:
		return "Zqq unable to read configuration (#4.3.0)"
	case 56:
		return "Zqq trouble making network connection (#4.3.0)"
	case 61:
		return "Zqq trouble in home directory (#4.3.0)"
	case 62, 63, 64, 65, 66:
		return "Zqq trouble creating files in queue (#4.3.0)"
	case 71:
		return "Zmail server temporarily rejected message (#4.3.0)"
	case 72:
		return "Zconnection to mail server timed out (#4.4.1)"
	case 73:
		return "Zconnection to mail server rejected (#4.4.1)"
	case 74:
		return "Zcommunication with mail server failed (#4.4.2)"
	case 81, 91:
		return "Zqq internal bug (#4.3.0)"
	case 120:
		return "Zunable to exec qq (#4.3.0)"
	}
	if code >= 11 && code <= 40 {
		return "Dqq permanent problem (#5.3.0)"
	}
	return "Zqq temporary problem (#4.3.0)"
}
