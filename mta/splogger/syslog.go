package splogger

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"
)

// DevLog is the local syslog socket, glibc's _PATH_LOG. Like the qmail
// home it is fixed at build time (-ldflags "-X
// github.com/quail-mta/quail/mta/splogger.DevLog=PATH"), which is how the
// tests point a splogger at a socket of their own.
var DevLog = "/dev/log"

// Syslog sends records to a local syslog socket as glibc's openlog(3) and
// syslog(3) do for openlog(Tag, 0, Facility): each record is one datagram
//
//	<PRI>Mmm dd hh:mm:ss TAG: TEXT
//
// with PRI the priority ORed with the facility and the local time in
// strftime's "%h %e %T" form. When the socket takes no datagrams
// (EPROTOTYPE), a stream connection is used, each record followed by a
// NUL. A record that cannot be sent is tried once more on a new
// connection and then dropped, as syslog(3) drops it without LOG_CONS.
type Syslog struct {
	Path     string
	Tag      string
	Facility int

	conn   net.Conn
	stream bool
}

// Format is the bytes of one record, without the stream terminator.
func Format(pri, facility int, tag, text string, t time.Time) []byte {
	b := make([]byte, 0, 24+len(tag)+len(text))
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(pri|facility), 10)
	b = append(b, '>')
	b = t.AppendFormat(b, time.Stamp)
	b = append(b, ' ')
	b = append(b, tag...)
	b = append(b, ':', ' ')
	return append(b, text...)
}

func (s *Syslog) connect() error {
	c, err := net.Dial("unixgram", s.Path)
	if err == nil {
		s.conn, s.stream = c, false
		return nil
	}
	if !errors.Is(err, syscall.EPROTOTYPE) {
		return err
	}
	c, err = net.Dial("unix", s.Path)
	if err != nil {
		return err
	}
	s.conn, s.stream = c, true
	return nil
}

// write sends msg on the connection, making one first if needed, with the
// NUL a stream connection needs after each record.
func (s *Syslog) write(msg []byte) error {
	if s.conn == nil {
		if err := s.connect(); err != nil {
			return err
		}
	}
	if s.stream {
		msg = append(msg[:len(msg):len(msg)], 0)
	}
	_, err := s.conn.Write(msg)
	return err
}

// Send writes one record with priority pri, stamped t. The error is for
// the caller's information: the record is lost either way.
func (s *Syslog) Send(pri int, text string, t time.Time) error {
	msg := Format(pri, s.Facility, s.Tag, text, t)
	if s.write(msg) == nil {
		return nil
	}
	// The connection may have gone (syslogd restarted): once more on a
	// new one, as syslog(3) does.
	s.Close()
	err := s.write(msg)
	if err != nil {
		s.Close()
	}
	return err
}

// Close drops the connection; the next Send makes a new one.
func (s *Syslog) Close() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
