package queue

import (
	"strconv"
	"time"

	"github.com/quail-mta/quail/mta/received"
)

// How qmail-queue describes its caller in the Received line.
const (
	ByUID   = iota // "invoked by uid N"
	ByAlias        // the caller's uid is alias's: a forwarded message
	FromNet        // qmaild's: qmail-smtpd and friends
	Bounce         // qmails's: a bounce from qmail-send
)

// Received returns the line qmail-queue puts at the top of every message:
//
//	Received: (qmail PID invoked by uid UID); 26 Sep 1995 04:46:54 -0000
//
// with "by alias", "from network" or "for bounce" in place of "by uid UID"
// for the callers qmail knows by uid. The date is date822fmt's: UTC, day
// of month without a leading zero.
func Received(pid, uid, caller int, t time.Time) string {
	b := []byte("Received: (qmail ")
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, " invoked "...)
	switch caller {
	case ByAlias:
		b = append(b, "by alias"...)
	case FromNet:
		b = append(b, "from network"...)
	case Bounce:
		b = append(b, "for bounce"...)
	default:
		b = append(b, "by uid "...)
		b = strconv.AppendInt(b, int64(uid), 10)
	}
	b = append(b, "); "...)
	b = append(b, received.Date822(t)...)
	return string(append(b, '\n'))
}
