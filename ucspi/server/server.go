package server

import (
	"errors"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/quail-mta/quail/ucspi/tcpenv"
)

// Server is a running tcpserver.
type Server struct {
	cfg  *Config
	log  *logger
	fd   int // listening socket
	Port uint16

	slots chan struct{} // one token per live connection (-c)

	mu       sync.Mutex
	live     int            // connections holding a slot
	children map[int]*child // by pid
	perIP    map[string]int // live programs per remote address
	stop     chan struct{}
	stopOnce sync.Once

	pool *pool // reusable programs; nil unless Config.MaxUse
}

type child struct {
	ip      string
	session *Session
	worker  *worker // the reused program serving it, if any
}

// Listen binds and listens as tcpserver does before it drops privileges.
func Listen(cfg *Config) (*Server, error) {
	if cfg.Limit < 1 {
		return nil, errors.New("connection limit must be positive")
	}
	var p *pool
	if cfg.MaxUse > 0 {
		var err error
		if p, err = newPool(); err != nil {
			return nil, err
		}
	}
	fd, port, err := listen(cfg)
	if err != nil {
		return nil, err
	}
	return &Server{
		pool:     p,
		cfg:      cfg,
		log:      &logger{w: cfg.Stderr, name: cfg.Name, verbose: cfg.Verbose, quiet: cfg.Quiet},
		fd:       fd,
		Port:     port,
		slots:    make(chan struct{}, cfg.Limit),
		children: map[int]*child{},
		perIP:    map[string]int{},
		stop:     make(chan struct{}),
	}, nil
}

// DropPrivileges switches to the configured group and user (-g, -u), group
// first while we may still change it.
func (s *Server) DropPrivileges() error {
	if s.cfg.GID != 0 {
		if err := syscall.Setgroups([]int{s.cfg.GID}); err != nil {
			return &OpError{"set gid", err}
		}
		if err := syscall.Setgid(s.cfg.GID); err != nil {
			return &OpError{"set gid", err}
		}
	}
	if s.cfg.UID != 0 {
		if err := syscall.Setuid(s.cfg.UID); err != nil {
			return &OpError{"set uid", err}
		}
	}
	return nil
}

// Serve accepts connections until SIGTERM (or Stop), then returns nil
// without touching the children, which keep running. An accept error other
// than a transient one is returned.
func (s *Server) Serve() error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// SIGPIPE is caught rather than ignored: a log write to a closed pipe
	// must not kill the server, and a caught signal is reset to the
	// default by exec, so the programs get the usual SIGPIPE.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	defer signal.Stop(chld)
	go s.reap(chld)
	if s.pool != nil {
		go s.retireLoop()
	}

	s.log.status(0, s.cfg.Limit)

	accepted := make(chan error, 1)
	go func() { accepted <- s.acceptLoop() }()
	select {
	case <-sigs:
		s.Stop()
		return nil
	case <-s.stop:
		return nil
	case err := <-accepted:
		return err
	}
}

// Stop makes Serve return and closes the listening socket; programs
// already running are left alone.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		close(s.stop)
		// Shutdown wakes the accept goroutine blocked in accept(2).
		syscall.Shutdown(s.fd, syscall.SHUT_RDWR)
	})
}

// acceptLoop takes a slot before each accept, so that at the limit the
// server stops accepting and the kernel's backlog holds new clients, as
// the original's "defer acceptance" does.
func (s *Server) acceptLoop() error {
	var backoff time.Duration
	for {
		select {
		case s.slots <- struct{}{}:
		case <-s.stop:
			return nil
		}
		nfd, rsa, err := syscall.Accept4(s.fd, syscall.SOCK_CLOEXEC)
		if err != nil {
			<-s.slots
			select {
			case <-s.stop:
				syscall.Close(s.fd)
				return nil
			default:
			}
			if isTransient(err) {
				backoff = pause(backoff, err)
				continue
			}
			return &OpError{"accept", err}
		}
		backoff = 0
		lsa, err := syscall.Getsockname(nfd)
		if err != nil {
			syscall.Close(nfd)
			<-s.slots
			continue
		}
		s.mu.Lock()
		s.live++
		n := s.live
		s.mu.Unlock()
		s.log.status(n, s.cfg.Limit)
		go s.handle(nfd, tcpenv.FromSockaddr(lsa), tcpenv.FromSockaddr(rsa))
	}
}

// isTransient tells the accept errors a server rides out: a client that
// gave up before we took it, an interrupted call, a momentary shortage of
// descriptors or memory.
func isTransient(err error) bool {
	switch err {
	case syscall.EINTR, syscall.ECONNABORTED, syscall.EAGAIN, syscall.EPROTO,
		syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.EPERM:
		return true
	}
	return false
}

// pause waits after an accept error caused by a shortage (descriptors,
// memory), doubling the wait up to a second, so that a server out of
// descriptors does not spin; other transient errors are retried at once.
func pause(prev time.Duration, err error) time.Duration {
	switch err {
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM:
	default:
		return 0
	}
	d := max(5*time.Millisecond, min(2*prev, time.Second))
	time.Sleep(d)
	return d
}

// release gives back a connection's slot.
func (s *Server) release() {
	s.mu.Lock()
	s.live--
	n := s.live
	s.mu.Unlock()
	s.log.status(n, s.cfg.Limit)
	<-s.slots
}

// reap collects every exited child on SIGCHLD, logs its end and frees its
// slot and its address's count.
func (s *Server) reap(sig <-chan os.Signal) {
	for range sig {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
			s.mu.Lock()
			c, ok := s.children[pid]
			if ok {
				delete(s.children, pid)
				if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
					delete(s.perIP, c.ip)
				}
			}
			// A reused program that ended between connections ends no
			// connection: nothing to log.
			s.reapWorker(pid)
			s.mu.Unlock()
			if !ok {
				continue
			}
			s.log.info("end " + strconv.Itoa(pid) + " status " + strconv.FormatUint(uint64(uint32(ws)), 10))
			if c.session.Finished != nil {
				c.session.Finished(int(ws))
			}
			s.release()
		}
	}
}
