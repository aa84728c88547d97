package send

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/quail-mta/quail/mta/queue"
)

// signal handles qmail-send's signals: ALRM retries every deferred
// delivery now, HUP rereads the control files, TERM lets the deliveries
// under way finish and then exits.
func (s *Sender) signal(sig os.Signal) {
	switch sig {
	case syscall.SIGALRM:
		s.pokeTodo()
		now := s.now()
		for _, m := range s.msgs {
			for ch := range m.next {
				if !m.next[ch].IsZero() {
					m.next[ch] = now
				}
			}
		}
		s.due()
	case syscall.SIGHUP:
		if s.Reload == nil {
			return
		}
		cfg, err := s.Reload()
		if err != nil {
			// qmail names the file it could not reread (control/locals,
			// control/virtualdomains, the only ones it rereads).
			line := alertReread
			var ce *ControlError
			if errors.As(err, &ce) {
				line = "alert: unable to reread " + Safe(ce.Name)
			}
			s.log.line(line)
			return
		}
		s.cfg.Store(cfg)
		for ch, c := range s.chans {
			c.conc = cfg.Concurrency[ch]
		}
	case syscall.SIGTERM:
		s.stopped = true
	}
}

// tool carries out a request of qmail-qtool written to lock/qtool:
// "expedite" (every message), "expedite N", or "remove N". A removed
// message gets no bounce; deliveries of it under way are finished and
// logged, then it leaves the queue through the usual bookkeeping.
func (s *Sender) tool(line string) {
	f := strings.Fields(strings.Trim(line, "\x00"))
	if len(f) == 0 {
		return
	}
	if f[0] == "expedite" && len(f) == 1 {
		s.signal(syscall.SIGALRM)
		return
	}
	if len(f) != 2 {
		s.log.line(warnQtoolBad)
		return
	}
	id, ok := queue.ParseID(f[1])
	m := s.msgs[id]
	if !ok || m == nil {
		s.log.line(warnQtoolNoMsg(f[1]))
		return
	}
	switch f[0] {
	case "expedite":
		for ch := range m.next {
			if !m.next[ch].IsZero() {
				s.startRound(m, Channel(ch))
			}
		}
	case "remove":
		if m.removed {
			return
		}
		s.log.line(lineRemoveMsg(id))
		m.removed = true
		for ch := range m.r {
			for _, r := range m.r[ch] {
				if r.state == pending {
					s.markDone(m, Channel(ch), r)
				}
			}
			m.next[ch] = timeZero
		}
		s.maybeDone(m)
	default:
		s.log.line(warnQtoolBad)
	}
}
