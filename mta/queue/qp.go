package queue

import (
	"sync/atomic"
	"time"
)

// A message's qp identifies its injection: qmail-queue writes it in the
// message's Received line ("Received: (qmail QP invoked ...") and in the
// todo file's p record, qmail-send logs it in the message's info msg
// line, and qmail-smtpd, qmail-qmtpd and qmail-qmqpd give it in their
// answer to the client ("250 ok 1234567890 qp QP"), so that one message
// can be followed from the SMTP log to the delivery log. In qmail the qp
// is qmail-queue's process id; it still is here when qmail-queue runs as
// a program.
//
// When qmail-queue's code runs inside its caller instead (package
// qqueue), the caller's pid would repeat for every message a long-lived
// process queues (a qmail-smtpd reused through TCPSERVERREUSE, qmail-lspawn
// forwarding). The qp of such an injection is
//
//	(1 + T mod QPPeriod) * PIDLimit + pid
//
// T being the time of the injection in milliseconds, made strictly
// increasing within the process: two injections of one process get
// different qps, as do two processes alive at once (their pids differ),
// and a later process with the same pid gets other times. QPPeriod is
// two days, so no two injections of one day share a qp; every such qp
// is at least PIDLimit, so none is ever a process's pid; and all stay
// below 2^53, a plain decimal number that qmailanalog's scan_ulong and a
// script's double read exactly.
const (
	PIDLimit = 1 << 22            // Linux's PID_MAX_LIMIT: every pid is below it
	QPPeriod = 2 * 24 * time.Hour // the times of the qps cycle with this period
)

// lastQPTime is the last T given out in this process, in milliseconds.
var lastQPTime atomic.Int64

// InProcessQP gives the qp of a message that qmail-queue's code queues
// inside the process pid (see above).
func InProcessQP(pid int) int { return inProcessQP(pid, time.Now()) }

func inProcessQP(pid int, now time.Time) int {
	t := now.UnixMilli()
	for {
		last := lastQPTime.Load()
		if t <= last {
			t = last + 1
		}
		if lastQPTime.CompareAndSwap(last, t) {
			break
		}
	}
	period := QPPeriod.Milliseconds()
	return int((1+t%period)*PIDLimit + int64(pid%PIDLimit))
}
