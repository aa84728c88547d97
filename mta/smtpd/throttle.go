package smtpd

import (
	"fmt"
	"time"
)

// SMTP AUTH through the login throttle of the qmail home (package
// throttle): failures count across sessions and processes, by client
// address and by account, and a client over its limit is refused
// without its password being checked.

// throttled answers a login that the throttle refuses, with 454 and a
// log line; it reports whether it did. The refusal counts as a client
// error, so that a client that keeps trying is disconnected.
func (s *Session) throttled(mech, user string) bool {
	d, err := s.cfg.Throttle.Check(s.cfg.RemoteIP, user)
	s.throttleWarn(err)
	if !d.Refused {
		return false
	}
	s.answer(reject(replyAuthThrottled, "AUTH", "Throttled").extra(fmt.Sprintf("A:%s mech:%s throttle:%s:%d", safeLog(user), mech, d.By, seconds(d.Retry))))
	return true
}

// loginFailed counts a failed login; it returns how long to wait before
// answering, and the log's note when this failure starts a refusal.
func (s *Session) loginFailed(user string) (time.Duration, string) {
	d, err := s.cfg.Throttle.Failed(s.cfg.RemoteIP, user)
	s.throttleWarn(err)
	if !d.Blocked {
		return d.Delay, ""
	}
	return d.Delay, fmt.Sprintf(" throttle:%s:%d", d.By, seconds(d.Retry))
}

// loginSucceeded clears the account's failures.
func (s *Session) loginSucceeded(user string) {
	s.throttleWarn(s.cfg.Throttle.Succeeded(s.cfg.RemoteIP, user))
}

// throttleWarn logs trouble with the throttle's state; the login goes on
// as if there were no throttle.
func (s *Session) throttleWarn(err error) {
	if err != nil && s.log != nil {
		fmt.Fprintf(s.log, "qmail-smtpd: warning: login throttle: %s\n", safeLogLine(err.Error()))
	}
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// safeLogLine keeps a message on one line.
func safeLogLine(v string) string {
	b := []byte(v)
	for i, c := range b {
		if c < ' ' || c >= 127 {
			b[i] = '?'
		}
	}
	return string(b)
}
