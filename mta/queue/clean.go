package queue

import (
	"bufio"
	"io"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
)

// PidCleanup is how often qmail-clean removes pid/ debris while it runs.
const PidCleanup = 10 * time.Minute

// qmail-clean's answers: done, failed (try again later), not understood.
const (
	CleanDone  = '+'
	CleanFail  = '!'
	CleanWhat  = 'x'
	maxCleanRq = 100
)

// QmailClean is qmail-clean(8): it removes queue files for qmail-send,
// which is not allowed to (they belong to qmailq). Requests come on
// descriptor 0, each ended by NUL: "foop/N" removes intd/N and mess/N (a
// message is done), "todo/N" removes intd/N and todo/N (a message is
// preprocessed). Each gets one byte on descriptor 1: '+' done, '!' a file
// could not be removed or the message is in use (RemoveMessage,
// RemoveTodo), 'x' a request not understood. At start and every
// PidCleanup it removes pid/ files no live qmail-queue holds (or older
// than 36 hours).
func QmailClean(inv *cli.Invocation) int {
	q, err := Open(qmailhome.Dir(inv.Getenv))
	if err != nil {
		return inv.Fatal(111, "unable to open queue: %v", err)
	}
	q.CleanPid(time.Now())
	go func() {
		for range time.Tick(PidCleanup) {
			q.CleanPid(time.Now())
		}
	}()
	if err := q.ServeClean(inv.Stdin, inv.Stdout); err != nil {
		return inv.Fatal(111, "unable to talk to qmail-send: %v", err)
	}
	return 0
}

// ServeClean answers qmail-clean requests from in on out until in ends.
func (q *Queue) ServeClean(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	for {
		req, err := r.ReadSlice(0)
		if err == io.EOF {
			return nil
		}
		if err == bufio.ErrBufferFull {
			// Far longer than any request: skip to its end.
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice(0)
			}
			if err == nil {
				_, err = out.Write([]byte{CleanWhat})
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if _, err := out.Write([]byte{q.Clean(string(req[:len(req)-1]))}); err != nil {
			return err
		}
	}
}

// Clean carries out one qmail-clean request ("foop/N" or "todo/N",
// without its NUL) and gives qmail-clean's answer byte.
func (q *Queue) Clean(req string) byte {
	if len(req) > maxCleanRq || len(req) < 6 {
		return CleanWhat
	}
	id, ok := ParseID(req[5:])
	if !ok {
		return CleanWhat
	}
	var err error
	switch req[:5] {
	case "foop/":
		err = q.RemoveMessage(id)
	case "todo/":
		err = q.RemoveTodo(id)
	default:
		return CleanWhat
	}
	if err != nil {
		return CleanFail
	}
	return CleanDone
}
