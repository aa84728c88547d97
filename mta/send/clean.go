package send

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/quail-mta/quail/mta/queue"
)

// cleaner talks to qmail-clean: one request at a time, as qmail-send
// does, from either the todo goroutine or the delivery loop. When
// qmail-send may remove the queue's files itself (self is set), it does
// so with qmail-clean's own code instead.
type cleaner struct {
	mu   sync.Mutex
	w    io.Writer
	r    *bufio.Reader
	lost func(error)
	self *queue.Queue
	// ended is set when Run has returned: as the pipe to qmail-clean
	// would be closed, a removal asked for by a goroutine still finishing
	// its work is refused, and its files stay for the next start.
	ended atomic.Bool
}

var errSendEnded = errors.New("qmail-send has ended")

var errCleanRefused = errors.New("qmail-clean could not remove a file")

func (c *cleaner) do(kind string, id queue.ID) error {
	if c.self != nil {
		if c.ended.Load() {
			return errSendEnded
		}
		if c.self.Clean(kind+"/"+id.String()) != queue.CleanDone {
			return errCleanRefused
		}
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write([]byte(kind + "/" + id.String() + "\x00")); err != nil {
		c.lost(errLost{clean: true, err: fmt.Errorf("qmail-clean: %w", err)})
		return err
	}
	b, err := c.r.ReadByte()
	if err != nil {
		c.lost(errLost{clean: true, err: fmt.Errorf("qmail-clean: %w", err)})
		return err
	}
	if b != queue.CleanDone {
		return errCleanRefused
	}
	return nil
}

// removesItself reports whether this process may remove what qmail-clean
// removes: the queue's intd/, todo/ and mess/ belong to its own uid. That
// is a single-user instance (make run, a container), where qmail-clean
// runs as the same user anyway and a round trip through it for every
// message buys nothing. With qmail's users (qmail-send as qmails, the
// files qmailq's) the requests go to qmail-clean as in qmail.
func removesItself(q *queue.Queue) bool {
	euid := os.Geteuid()
	for _, d := range []string{"intd", "todo", "mess"} {
		fi, err := os.Stat(q.Path(d))
		if err != nil {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || int(st.Uid) != euid {
			return false
		}
	}
	return true
}
