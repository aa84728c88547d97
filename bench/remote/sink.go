package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/quail-mta/quail/bench/internal/netwait"
)

// countingSink is Postfix's smtp-sink with -c, which prints a record
// "sess=N quit=N mesg=N" ended by a carriage return each time a session
// ends, QUIT arrives or a message's final "." is received. The mesg
// counter is what the whole-path figures stop on: the moment the sink
// has had the last message.
type countingSink struct {
	cmd    *exec.Cmd
	want   int
	mu     sync.Mutex
	count  int
	sess   int           // sessions ended
	at     time.Time     // when count reached want
	done   chan struct{} // closed then
	exited chan struct{} // closed when smtp-sink's output ends
}

// startSink runs smtp-sink on addr until stop. The greeting's host name
// is not the instances' own (Postfix's smtp(8) refuses a server that
// greets with its myhostname, as a mail loop).
func startSink(prog, user, addr string, want int) (*countingSink, error) {
	s := &countingSink{want: want, done: make(chan struct{}), exited: make(chan struct{})}
	s.cmd = exec.Command(prog, "-c", "-h", "sink.bench", "-u", user, addr, "256")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("unable to start smtp-sink: %w", err)
	}
	go s.read(out)
	if err := netwait.Listening(addr, 10*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("smtp-sink does not listen on %s: %w", addr, err)
	}
	return s, nil
}

func (s *countingSink) read(out interface{ Read([]byte) (int, error) }) {
	defer close(s.exited)
	sc := bufio.NewScanner(out)
	sc.Split(splitRecords)
	for sc.Scan() {
		if k, ok := counter(sc.Bytes(), "sess="); ok {
			s.mu.Lock()
			s.sess = max(s.sess, k)
			s.mu.Unlock()
		}
		n, ok := mesgCount(sc.Bytes())
		if !ok {
			continue
		}
		now := time.Now()
		s.mu.Lock()
		if n > s.count {
			s.count = n
			if s.want > 0 && n >= s.want && s.at.IsZero() {
				s.at = now
				close(s.done)
			}
		}
		s.mu.Unlock()
	}
}

// received is how many messages the sink has counted so far.
func (s *countingSink) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// sessions is how many SMTP sessions have ended so far.
func (s *countingSink) sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

// wait returns when the sink has counted want messages, with the time it
// did, or after d with ok false.
func (s *countingSink) wait(d time.Duration) (time.Time, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.done:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.at, true
	case <-t.C:
		return time.Time{}, false
	}
}

func (s *countingSink) stop() {
	if s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd.Wait()
}

// splitRecords splits smtp-sink's counter output at carriage returns
// and newlines.
func splitRecords(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// mesgCount reads the mesg= field of one counter record.
func mesgCount(rec []byte) (int, bool) { return counter(rec, "mesg=") }

// counter reads one name=N field of a counter record.
func counter(rec []byte, name string) (int, bool) {
	for _, f := range bytes.Fields(rec) {
		if v, ok := bytes.CutPrefix(f, []byte(name)); ok {
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 0 {
				return 0, false
			}
			return n, true
		}
	}
	return 0, false
}
