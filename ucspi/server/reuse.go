package server

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/ownprog"
	"github.com/quail-mta/quail/ucspi/reuse"
)

// IdleTime is how long a reusable program may wait for its next
// connection before it is told to exit (Postfix's max_idle is 100 s).
const IdleTime = 60 * time.Second

// worker is a reusable program the server started (package reuse). It is
// busy while its pid is in Server.children, idle while it is in
// pool.idle.
type worker struct {
	pid       int
	c         *net.UnixConn
	prog      string
	id        ownprog.FileID // of prog when started: an upgrade retires it
	uses      int
	idleSince time.Time
}

// pool holds the reusable programs; its fields are guarded by Server.mu.
type pool struct {
	idle  []*worker // most recently used last
	byPid map[int]*worker
	null  *os.File // their standard input and output between connections
}

func newPool() (*pool, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &pool{byPid: map[int]*worker{}, null: null}, nil
}

// reusable tells whether a connection can go to a reused program: reuse
// is on, the connection needs nothing but its socket (no sslserver
// descriptors), its environment fits one message, and the program is
// one that takes part; with the identity of the program's file.
func (s *Server) reusable(sess *Session, prog string) (ownprog.FileID, bool) {
	if s.pool == nil || s.cfg.Reusable == nil ||
		sess.Stdin >= 0 || sess.Stdout >= 0 || len(sess.Extra) > 0 || !reuse.Fits(sess.Env) {
		return ownprog.FileID{}, false
	}
	return s.cfg.Reusable(prog)
}

// handOff gives the connection to an idle program started from the same
// file, or to a new one, and returns its pid. It runs under s.mu.
func (s *Server) handOff(sess *Session, prog string, id ownprog.FileID) (*worker, error) {
	p := s.pool
	for len(p.idle) > 0 {
		w := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if w.prog != prog || w.id != id {
			w.c.Close() // an upgraded program: the old one exits
			continue
		}
		err := reuse.Send(w.c, sess.FD, sess.Env)
		if err == nil {
			return w, nil
		}
		if errors.Is(err, reuse.ErrEnvTooLarge) {
			p.idle = append(p.idle, w) // nothing was sent: still good
			return nil, err
		}
		// It died while idle and will be reaped; try another.
		w.c.Close()
	}
	w, err := s.startWorker(prog, id)
	if err != nil {
		return nil, err
	}
	if err := reuse.Send(w.c, sess.FD, sess.Env); err != nil {
		w.c.Close()
		return nil, err
	}
	return w, nil
}

// startWorker starts prog with the server's own environment, the socket
// pair's end as reuse.WorkerFD, and /dev/null as standard input and
// output until its first connection arrives.
func (s *Server) startWorker(prog string, id ownprog.FileID) (*worker, error) {
	ours, theirs, err := reuse.Pair()
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	null := s.pool.null.Fd()
	env := append(append([]string{}, s.cfg.Env...), reuse.EnvWorker+"="+strconv.Itoa(reuse.WorkerFD))
	pid, err := syscall.ForkExec(prog, s.cfg.Argv, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{null, null, 2, theirs.Fd()},
	})
	if err != nil {
		ours.Close()
		return nil, errors.New("unable to run " + s.cfg.Argv[0] + ": " + djberr.Text(err))
	}
	w := &worker{pid: pid, c: ours, prog: prog, id: id}
	s.pool.byPid[pid] = w
	return w, nil
}

// awaitResult waits for a reused program to finish its connection, logs
// the connection's end as the reaper would have, and puts the program
// back among the idle ones (or retires it after its last use).
func (s *Server) awaitResult(w *worker, sess *Session) {
	code, err := reuse.Result(w.c)
	s.mu.Lock()
	c, ok := s.children[w.pid]
	if err != nil || !ok || c.worker != w {
		s.mu.Unlock()
		if err != nil && !errors.Is(err, io.EOF) && ok && c.worker == w {
			// It answered, so it is alive, but not in the protocol: end
			// it, and the reaper logs the connection's end. (At EOF it
			// is exiting; the reaper will see it.)
			syscall.Kill(w.pid, syscall.SIGKILL)
		}
		return
	}
	delete(s.children, w.pid)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	if w.uses >= s.cfg.MaxUse {
		w.c.Close()
	} else {
		w.idleSince = time.Now()
		s.pool.idle = append(s.pool.idle, w)
	}
	// Logged as the wait status a program exiting with code would have,
	// before the lock goes: once it is free the process may get the next
	// connection, whose "pid" line must come after this "end".
	status := (code & 0xff) << 8
	s.log.info("end " + strconv.Itoa(w.pid) + " status " + strconv.Itoa(status))
	s.mu.Unlock()
	if sess.Finished != nil {
		sess.Finished(status)
	}
	s.release()
}

// reapWorker forgets pid if it was a reusable program; it runs under
// s.mu.
func (s *Server) reapWorker(pid int) {
	if s.pool == nil {
		return
	}
	w, ok := s.pool.byPid[pid]
	if !ok {
		return
	}
	delete(s.pool.byPid, pid)
	w.c.Close()
	for i, x := range s.pool.idle {
		if x == w {
			s.pool.idle = append(s.pool.idle[:i], s.pool.idle[i+1:]...)
			break
		}
	}
}

// retireIdle tells the programs idle for longer than IdleTime to exit.
func (s *Server) retireIdle(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.pool.idle[:0]
	for _, w := range s.pool.idle {
		if now.Sub(w.idleSince) > IdleTime {
			w.c.Close()
			continue
		}
		keep = append(keep, w)
	}
	clear(s.pool.idle[len(keep):])
	s.pool.idle = keep
}

// retireAll tells every idle program to exit (the server stops); busy
// ones exit after their connection.
func (s *Server) retireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.pool.idle {
		w.c.Close()
	}
	s.pool.idle = nil
}

func (s *Server) retireLoop() {
	t := time.NewTicker(IdleTime / 6)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.retireIdle(now)
		case <-s.stop:
			s.retireAll()
			return
		}
	}
}
