package supervise

import (
	"errors"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
)

// loop is 0.76's doit: react to children, commands and the restart timer
// until told to exit with the service down.
func (s *supervisor) loop() {
	for {
		if s.exit && s.pid == 0 {
			return
		}
		var due <-chan time.Time
		if s.startPending {
			due = s.timer.C
		}
		select {
		case <-s.sigchld:
			s.reap()
		case c := <-s.control:
			s.command(c)
		case <-due:
			s.startPending = false
			s.trystart()
		case gen := <-s.readyCh:
			if gen == s.gen && s.pid != 0 {
				s.becameReady()
			}
		}
	}
}

// reap collects every exited child; supervise has no other children than
// ./run, but one it inherited through exec is reaped too, as in 0.76.
func (s *supervisor) reap() {
	for r := reapOne(); r != 0; r = reapOne() {
		if r == s.pid {
			s.pid = 0
			s.closeReady()
			s.pidchange()
			s.announce()
			if s.exit {
				return
			}
			if s.want && s.wantUp {
				s.requestStart()
			}
		}
	}
}

// command acts on one control byte as 0.76's doit does, plus q 1 2 w.
func (s *supervisor) command(c byte) {
	switch c {
	case 'd':
		s.want, s.wantUp = true, false
		s.startPending = false
		if s.pid != 0 {
			s.signal(syscall.SIGTERM)
			s.signal(syscall.SIGCONT)
			s.paused = false
		}
		s.announce()
	case 'u':
		s.want, s.wantUp = true, true
		s.announce()
		if s.pid == 0 {
			s.requestStart()
		}
	case 'o':
		s.want = false
		s.announce()
		if s.pid == 0 {
			s.requestStart()
		}
	case 'p':
		s.paused = true
		s.announce()
		s.signal(syscall.SIGSTOP)
	case 'c':
		s.paused = false
		s.announce()
		s.signal(syscall.SIGCONT)
	case 'x':
		s.exit = true
		s.announce()
	default:
		if sig, ok := letterSignals[c]; ok {
			s.signal(sig)
		}
	}
}

// letterSignals are the commands that only send a signal to the service.
var letterSignals = map[byte]syscall.Signal{
	'h': syscall.SIGHUP,
	'a': syscall.SIGALRM,
	'i': syscall.SIGINT,
	't': syscall.SIGTERM,
	'k': syscall.SIGKILL,
	'q': syscall.SIGQUIT,
	'1': syscall.SIGUSR1,
	'2': syscall.SIGUSR2,
	'w': syscall.SIGWINCH,
}

func (s *supervisor) signal(sig syscall.Signal) {
	if s.pid != 0 {
		_ = syscall.Kill(s.pid, sig)
	}
}

// requestStart starts ./run now, or as soon as a pause has passed since the
// previous start: 0.76 sleeps one second after every start, so a service
// that dies at once is restarted once a second, never in a tight loop.
func (s *supervisor) requestStart() {
	if s.exit {
		return
	}
	wait := time.Until(s.notBefore)
	if wait <= 0 {
		s.trystart()
		return
	}
	if !s.startPending {
		s.startPending = true
		s.timer.Reset(wait)
	}
}

func (s *supervisor) trystart() {
	if s.pid != 0 || s.exit {
		return
	}
	pid, err := s.spawn()
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM) {
			s.inv.Warn("unable to fork for %s, sleeping 60 seconds: %s", s.dir, djberr.Text(err))
			s.notBefore = time.Now().Add(forkPause)
		} else {
			// 0.76's child dies with this fatal line; here exec reports
			// it to the parent, which prints the same line and goes on.
			// Either way the start is tried again after the pause when
			// the service is wanted up.
			s.inv.Fatal(cli.ExitTemporary, "unable to start %s/run: %s", s.dir, djberr.Text(err))
			s.notBefore = time.Now().Add(s.pause)
		}
		if s.want && s.wantUp {
			s.requestStart()
		}
		return
	}
	s.paused = false
	s.pid = pid
	s.pidchange()
	s.announce()
	s.notBefore = time.Now().Add(s.pause)
}
