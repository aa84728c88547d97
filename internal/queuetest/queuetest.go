// Package queuetest is an in-process stand-in for qmail-queue (see
// qmail-queue(8)) for the tests of the servers that hand messages to it,
// qmail-qmqpd and qmail-qmtpd: it records the message and the envelope
// and answers the verdict the test chose.
//
// It is a package of its own, imported only by _test.go files, because
// several packages' tests need the same stand-in; it cannot live in
// internal/testbin, which the tests of the mta packages it depends on
// import themselves.
package queuetest

import (
	"bytes"
	"errors"

	"github.com/quail-mta/quail/mta/qqueue"
)

// Queue records what a server hands one qmail-queue run.
type Queue struct {
	Msg     bytes.Buffer
	Sender  string
	Rcpts   []string
	Closed  bool
	Aborted bool
	Result  qqueue.Result
}

func (q *Queue) Write(p []byte) (int, error) { return q.Msg.Write(p) }
func (q *Queue) Abort()                      { q.Aborted = true }
func (q *Queue) Pid() int                    { return 4242 }
func (q *Queue) Close(sender string, rcpts []string) qqueue.Result {
	q.Closed, q.Sender, q.Rcpts = true, sender, rcpts
	return q.Result
}

// Queues starts Queues that answer Result, or fails to start any when
// Fail is set.
type Queues struct {
	Started []*Queue
	Result  qqueue.Result
	Fail    bool
}

// Start is a server's StartQueue for f; I is the server's queue
// interface, which *Queue satisfies (a type parameter so that this
// package need not import the servers, whose tests import it).
func Start[I any](f *Queues) func() (I, error) {
	return func() (I, error) {
		var none I
		if f.Fail {
			return none, errors.New("no queue today")
		}
		q := &Queue{Result: f.Result}
		f.Started = append(f.Started, q)
		return any(q).(I), nil
	}
}

// Queued is the queues that were closed, i.e. the messages accepted.
func (f *Queues) Queued() []*Queue {
	var out []*Queue
	for _, q := range f.Started {
		if q.Closed {
			out = append(out, q)
		}
	}
	return out
}

// Running is the number of queues neither closed nor aborted: a server
// must leave none behind.
func (f *Queues) Running() int {
	n := 0
	for _, q := range f.Started {
		if !q.Closed && !q.Aborted {
			n++
		}
	}
	return n
}
