package send

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/quail-mta/quail/mta/qqueue"
)

var timeZero time.Time

// injectBounce queues the bounce of m (QSBMF: header, the failure
// reports from bounce/N, a copy of the message) with qmail-queue, or
// discards it if it would be a triple bounce. It says whether bounce/N
// may go.
func (s *Sender) injectBounce(m *message) bool {
	cfg := s.cfg.Load()
	sender := BounceSender(m.sender)
	from, to, double, ok := cfg.BounceEnvelope(sender)
	if !ok {
		if sender == DoubleBounceSender {
			s.log.line(lineTripleBounce(m.id))
		} else {
			s.log.line(lineDoubleBounce(m.id))
		}
		return true
	}
	// qmail-send reads bounce/N and mess/N into qmail-queue, and says
	// the same whichever of them it cannot read.
	reports, err := os.ReadFile(s.Q.Bounce(m.id))
	if err != nil {
		s.log.line(warnInjectBounce)
		return false
	}
	mess, err := os.Open(s.Q.Mess(m.id))
	if err != nil {
		s.log.line(warnInjectBounce)
		return false
	}
	defer mess.Close()
	copied, err := BounceCopy(mess, cfg.BounceMaxBytes)
	if err != nil {
		s.log.line(warnInjectBounce)
		return false
	}
	var head bytes.Buffer
	head.Write(cfg.BounceHeader(to, double, s.now()))
	head.Write(reports)
	head.Write(BounceBreak(sender))
	pid, err := runQueue(s.QueueProg, s.QueueEnv, io.MultiReader(&head, copied), from, []string{to})
	if err != nil {
		if errors.Is(err, errQueueStart) {
			s.log.line(warnStartQueue)
		} else {
			s.log.line(warnInjectBounce)
		}
		return false
	}
	s.log.line(lineBounceMsg(m.id, pid))
	return true
}

// errQueueStart is qmail-queue that could not be started.
var errQueueStart = errors.New("unable to start qmail-queue")

// runQueue runs qmail-queue with the message from msg and returns its
// pid once it exited 0.
func runQueue(prog string, env []string, msg io.Reader, sender string, recips []string) (int, error) {
	envR, envW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(prog)
	cmd.Env = env
	cmd.Stdin = msg
	cmd.Stdout = envR
	if err := cmd.Start(); err != nil {
		envR.Close()
		envW.Close()
		return 0, fmt.Errorf("%w: %v", errQueueStart, err)
	}
	envR.Close()
	go func() {
		envW.Write(qqueue.Envelope(sender, recips))
		envW.Close()
	}()
	err = cmd.Wait()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Exited() {
			return 0, errors.New(qqueue.Explain(ee.ExitCode()).Text)
		}
		return 0, err
	}
	return cmd.Process.Pid, nil
}
