package quail

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Restart starts qmail-start again after Stop, its log appended to the
// same file. Messages queued while qmail-send was down (qmail-queue needs
// no qmail-send) are then delivered from a full queue, which is how a
// benchmark measures delivery apart from injection.
func (in *Instance) Restart() error {
	if in.send != nil {
		return errors.New("qmail-send is running")
	}
	logFile, err := os.OpenFile(in.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	send := exec.Command(filepath.Join(in.Bin, "qmail-start"), "./Maildir/")
	send.Env = in.Env
	send.Dir = "/"
	send.Stdout, send.Stderr = logFile, logFile
	send.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := send.Start(); err != nil {
		logFile.Close()
		return err
	}
	in.send, in.logFile = send, logFile
	return nil
}
