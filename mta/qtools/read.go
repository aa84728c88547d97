// Package qtools implements the queue inspection and maintenance
// programs: qmail-qread(8) and qmail-qstat(8) as in qmail, and
// qmail-qtool(8), quail's own tool to make a queue and to list, show,
// expedite or remove messages while qmail-send runs.
package qtools

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/quail-mta/quail/mta/queue"
)

// Recipient is one recipient of a queued message.
type Recipient struct {
	Channel string // "local" or "remote"
	Addr    string
	Done    bool
}

// Message is what the queue says about one message.
type Message struct {
	ID         queue.ID
	State      queue.State
	Birth      time.Time // info's mtime, or todo's before preprocessing
	Bytes      int64
	Sender     string
	Recipients []Recipient
	Bouncing   bool // failure reports wait in bounce/N
}

// Read describes message id from its files; a message that is not in S4
// or S5 gives fs.ErrNotExist.
func Read(q *queue.Queue, id queue.ID) (Message, error) {
	st, err := q.State(id)
	if err != nil {
		return Message{}, err
	}
	m := Message{ID: id, State: st}
	if fi, err := os.Stat(q.Mess(id)); err == nil {
		m.Bytes = fi.Size()
	}
	switch st {
	case queue.S4:
		b, err := os.ReadFile(q.Todo(id))
		if err != nil {
			return Message{}, err
		}
		t, err := queue.ParseTodo(b)
		if err != nil {
			return Message{}, err
		}
		if fi, err := os.Stat(q.Todo(id)); err == nil {
			m.Birth = fi.ModTime()
		}
		m.Sender = t.Sender
		for _, r := range t.Recips {
			m.Recipients = append(m.Recipients, Recipient{Channel: "unrouted", Addr: r})
		}
	case queue.S5:
		b, err := os.ReadFile(q.Info(id))
		if err != nil {
			return Message{}, err
		}
		fi, err := os.Stat(q.Info(id))
		if err != nil {
			return Message{}, err
		}
		m.Birth = fi.ModTime()
		m.Sender, _ = queue.ParseInfo(b)
		for _, c := range []struct{ name, path string }{{"local", q.Local(id)}, {"remote", q.Remote(id)}} {
			b, err := os.ReadFile(c.path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return Message{}, err
			}
			for _, r := range queue.ParseRecips(b) {
				m.Recipients = append(m.Recipients, Recipient{Channel: c.name, Addr: r.Addr, Done: r.Done})
			}
		}
		if _, err := os.Stat(q.Bounce(id)); err == nil {
			m.Bouncing = true
		}
	default:
		return Message{}, fs.ErrNotExist
	}
	return m, nil
}

// List describes every message in delivery (S5), then those waiting
// for preprocessing (S4), each in order of number.
func List(q *queue.Queue, withTodo bool) ([]Message, error) {
	infos, err := q.Infos()
	if err != nil {
		return nil, err
	}
	ids := infos
	if withTodo {
		todos, err := q.Todos()
		if err != nil {
			return nil, err
		}
		ids = append(ids, todos...)
	}
	var out []Message
	seen := map[queue.ID]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		m, err := Read(q, id)
		if errors.Is(err, fs.ErrNotExist) {
			continue // finished while we looked
		}
		if err != nil {
			return nil, err
		}
		if m.State == queue.S4 && !withTodo {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}
