package send

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/quail-mta/quail/mta/queue"
)

// cleaner talks to qmail-clean: one request at a time, as qmail-send
// does, from either the todo goroutine or the delivery loop.
type cleaner struct {
	mu   sync.Mutex
	w    io.Writer
	r    *bufio.Reader
	lost func(error)
}

var errCleanRefused = errors.New("qmail-clean could not remove a file")

func (c *cleaner) do(kind string, id queue.ID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write([]byte(kind + "/" + id.String() + "\x00")); err != nil {
		c.lost(fmt.Errorf("qmail-clean: %w", err))
		return err
	}
	b, err := c.r.ReadByte()
	if err != nil {
		c.lost(fmt.Errorf("qmail-clean: %w", err))
		return err
	}
	if b != queue.CleanDone {
		return errCleanRefused
	}
	return nil
}
