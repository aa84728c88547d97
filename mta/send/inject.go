package send

import (
	"bytes"
	"io"
	"os"
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
	// qmail-queue, or its code in this process where starting it would
	// change nothing (package qqueue).
	q, err := qqueue.Start(s.QueueProg, s.QueueEnv)
	if err != nil {
		s.log.line(warnStartQueue)
		return false
	}
	if r := qqueue.Send(q, io.MultiReader(&head, copied), from, []string{to}); !r.OK() {
		s.log.line(warnInjectBounce)
		return false
	}
	s.log.line(lineBounceMsg(m.id, q.Pid()))
	return true
}
