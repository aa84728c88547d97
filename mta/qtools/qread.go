package qtools

import (
	"bufio"
	"strconv"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/queue"
)

// QreadDate formats a message's date as qmail-qread prints it, in UTC:
// "6 Sep 1995 03:46:54 GMT".
func QreadDate(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04:05") + " GMT" }

// FormatQread renders one message as qmail-qread does: a line with the
// date, "#" and the number, the size and the sender (and "bouncing" when
// failure reports wait), then a line per recipient with "done" for the
// finished ones.
func FormatQread(m Message) string {
	s := QreadDate(m.Birth) + "  #" + m.ID.String() + "  " + strconv.FormatInt(m.Bytes, 10) + "  <" + m.Sender + "> "
	if m.Bouncing {
		s += " bouncing"
	}
	s += "\n"
	for _, r := range m.Recipients {
		s += "\t"
		if r.Done {
			s += "done"
		}
		s += "\t" + r.Channel + "\t" + r.Addr + "\n"
	}
	return s
}

// Qread is qmail-qread(8): it lists the messages in delivery and their
// recipients. Messages not yet preprocessed are not shown (qmail-qstat
// counts them).
func Qread(inv *cli.Invocation) int {
	q, err := queue.Open(qmailhome.Dir(inv.Getenv))
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to open queue: %v", err)
	}
	ms, err := List(q, false)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read queue: %v", err)
	}
	w := bufio.NewWriter(inv.Stdout)
	for _, m := range ms {
		w.WriteString(FormatQread(m))
	}
	if err := w.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
	}
	return 0
}

// Qstat is qmail-qstat(8): the number of messages in the queue and of
// those not yet preprocessed.
func Qstat(inv *cli.Invocation) int {
	q, err := queue.Open(qmailhome.Dir(inv.Getenv))
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to open queue: %v", err)
	}
	mess, err := q.Messages()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read queue: %v", err)
	}
	todo, err := q.Todos()
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read queue: %v", err)
	}
	_, err = inv.Stdout.WriteString("messages in queue: " + strconv.Itoa(len(mess)) +
		"\nmessages in queue but not yet preprocessed: " + strconv.Itoa(len(todo)) + "\n")
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
	}
	return 0
}
