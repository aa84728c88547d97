package multilog

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/djberr"
)

// statusLen is the size of a =file: the first 1000 bytes of the line,
// padded with newlines.
const statusLen = 1001

// statusFile is a =file action: the latest selected line, rewritten from
// offset 0, with no protection against a crash (as in 0.76).
type statusFile struct {
	cfg   StatusConfig
	fd    int
	warn  func(string, ...any)
	sleep func(time.Duration)
}

func openStatus(cfg StatusConfig, warn func(string, ...any)) (*statusFile, error) {
	// Created with 0.76's mode first, then opened without O_APPEND so
	// that every write lands at offset 0.
	fd, err := unix.Open(cfg.Path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_NONBLOCK|unix.O_CLOEXEC, 0600)
	if err != nil {
		return nil, djberr.Wrap("unable to create "+cfg.Path, err)
	}
	unix.Close(fd)
	fd, err = unix.Open(cfg.Path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, djberr.Wrap("unable to write "+cfg.Path, err)
	}
	return &statusFile{cfg: cfg, fd: fd, warn: warn, sleep: time.Sleep}, nil
}

// write stores a padded line of exactly statusLen bytes.
func (s *statusFile) write(padded []byte) {
	for {
		n, err := unix.Pwrite(s.fd, padded[:statusLen], 0)
		if n == statusLen {
			return
		}
		if err == unix.EINTR {
			continue
		}
		if err == nil {
			err = fmt.Errorf("short write")
		}
		s.warn("unable to write %s, pausing: %s", s.cfg.Path, djberr.Text(err))
		s.sleep(s.cfg.Cooldown)
	}
}

func (s *statusFile) close() { unix.Close(s.fd) }
