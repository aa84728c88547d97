package qmqp

import (
	"bytes"
	"errors"

	"github.com/quail-mta/quail/mta/qqueue"
)

// fakeQueue records what a server hands qmail-queue.
type fakeQueue struct {
	msg     bytes.Buffer
	sender  string
	rcpts   []string
	closed  bool
	aborted bool
	result  qqueue.Result
}

func (q *fakeQueue) Write(p []byte) (int, error) { return q.msg.Write(p) }
func (q *fakeQueue) Abort()                      { q.aborted = true }
func (q *fakeQueue) Pid() int                    { return 4242 }
func (q *fakeQueue) Close(sender string, rcpts []string) qqueue.Result {
	q.closed, q.sender, q.rcpts = true, sender, rcpts
	return q.result
}

// fakeQueues starts fakeQueues that answer result.
type fakeQueues struct {
	started []*fakeQueue
	result  qqueue.Result
	fail    bool
}

func (f *fakeQueues) start() (Queue, error) {
	if f.fail {
		return nil, errors.New("no queue today")
	}
	q := &fakeQueue{result: f.result}
	f.started = append(f.started, q)
	return q, nil
}

// queued is the queues that were closed, i.e. the messages accepted.
func (f *fakeQueues) queued() []*fakeQueue {
	var out []*fakeQueue
	for _, q := range f.started {
		if q.closed {
			out = append(out, q)
		}
	}
	return out
}
