package qtools

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/queue"
)

const qtoolUsage = "create [-s split] | list | show id | expedite [id ...] | remove id ..."

// RemoveWait bounds how long qmail-qtool waits for qmail-send to take a
// message out of the queue.
var RemoveWait = 60 * time.Second

// Qtool is qmail-qtool(8).
func Qtool(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage(qtoolUsage)
	}
	home := qmailhome.Dir(inv.Getenv)
	cmd, args := inv.Args[1], inv.Args[1:]
	if cmd == "create" {
		return create(inv, home, args)
	}
	q, err := queue.Open(home)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to open queue: %v", err)
	}
	ids := make([]queue.ID, 0, len(args)-1)
	for _, a := range args[1:] {
		id, ok := queue.ParseID(a)
		if !ok {
			return inv.Usage(qtoolUsage)
		}
		ids = append(ids, id)
	}
	switch {
	case cmd == "list" && len(ids) == 0:
		return list(inv, q)
	case cmd == "show" && len(ids) == 1:
		return show(inv, q, ids[0])
	case cmd == "expedite":
		return expedite(inv, q, ids)
	case cmd == "remove" && len(ids) > 0:
		return remove(inv, q, ids)
	}
	return inv.Usage(qtoolUsage)
}

func create(inv *cli.Invocation, home string, args []string) int {
	split := queue.DefaultSplit
	p := getopt.New(args, "s:")
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			return inv.Usage(qtoolUsage)
		}
		if !ok {
			break
		}
		if c == 's' {
			n, err := strconv.Atoi(arg)
			if err != nil || n < 1 || n > queue.MaxSplit {
				return inv.Usage(qtoolUsage)
			}
			split = n
		}
	}
	if len(p.Rest()) != 0 {
		return inv.Usage(qtoolUsage)
	}
	owners := queue.Self
	if os.Getuid() == 0 && !qmailhome.SingleUser(home) {
		var err error
		if owners, err = QmailOwners(); err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to find the qmail users: %v", err)
		}
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to make %s: %v", home, err)
	}
	if _, err := queue.Create(home, split, owners); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to make the queue: %v", err)
	}
	return 0
}

// QmailOwners looks up qmail's users qmailq, qmails and qmailr and the
// group qmail.
func QmailOwners() (queue.Owners, error) {
	var o queue.Owners
	for _, u := range []struct {
		name string
		id   *int
	}{{"qmailq", &o.UIDQ}, {"qmails", &o.UIDS}, {"qmailr", &o.UIDR}} {
		x, err := user.Lookup(u.name)
		if err != nil {
			return o, err
		}
		*u.id, _ = strconv.Atoi(x.Uid)
	}
	g, err := user.LookupGroup("qmail")
	if err != nil {
		return o, err
	}
	o.GID, _ = strconv.Atoi(g.Gid)
	return o, nil
}

func list(inv *cli.Invocation, q *queue.Queue) int {
	ms, err := List(q, true)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read queue: %v", err)
	}
	w := bufio.NewWriter(inv.Stdout)
	now := time.Now()
	for _, m := range ms {
		left := 0
		for _, r := range m.Recipients {
			if !r.Done {
				left++
			}
		}
		state := "queued"
		if m.State == queue.S4 {
			state = "todo"
		}
		if m.Bouncing {
			state = "bouncing"
		}
		fmt.Fprintf(w, "%s %s age %s bytes %d from <%s> recipients %d left %d\n",
			m.ID, state, now.Sub(m.Birth).Round(time.Second), m.Bytes, m.Sender, len(m.Recipients), left)
	}
	if err := w.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
	}
	return 0
}

func show(inv *cli.Invocation, q *queue.Queue, id queue.ID) int {
	m, err := Read(q, id)
	if errors.Is(err, fs.ErrNotExist) {
		return inv.Fatal(cli.ExitPermanent, "no message %s in the queue", id)
	}
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read message %s: %v", id, err)
	}
	var b bytes.Buffer
	b.WriteString(FormatQread(m))
	if m.Bouncing {
		if r, err := os.ReadFile(q.Bounce(id)); err == nil {
			b.WriteString("failure reports waiting for the bounce:\n")
			b.Write(r)
		}
	}
	if mess, err := os.ReadFile(q.Mess(id)); err == nil {
		if i := bytes.Index(mess, []byte("\n\n")); i >= 0 {
			mess = mess[:i+1]
		}
		b.WriteString("header:\n")
		b.Write(mess)
	}
	if _, err := inv.Stdout.Write(b.Bytes()); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
	}
	return 0
}

// sendRunning says whether qmail-send holds lock/sendmutex. When it does
// not, the lock is returned held, so that qmail-send cannot start while
// the tool works on the queue.
func sendRunning(q *queue.Queue) (bool, *os.File, error) {
	f, err := os.OpenFile(q.SendMutex(), os.O_RDWR, 0)
	if err != nil {
		return false, nil, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == syscall.EWOULDBLOCK {
		f.Close()
		return true, nil, nil
	}
	if err != nil {
		f.Close()
		return false, nil, err
	}
	return false, f, nil
}

// request writes one request line to qmail-send's lock/qtool.
func request(q *queue.Queue, line string) error {
	f, err := os.OpenFile(q.ToolFIFO(), os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(line + "\n"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func expedite(inv *cli.Invocation, q *queue.Queue, ids []queue.ID) int {
	running, lock, err := sendRunning(q)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to lock lock/sendmutex: %v", err)
	}
	if !running {
		lock.Close()
		inv.Warn("qmail-send is not running; it tries every message when it starts")
		return 0
	}
	lines := []string{"expedite"}
	if len(ids) > 0 {
		lines = lines[:0]
		for _, id := range ids {
			lines = append(lines, "expedite "+id.String())
		}
	}
	for _, l := range lines {
		if err := request(q, l); err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to write to lock/qtool: %v", err)
		}
	}
	return 0
}

func remove(inv *cli.Invocation, q *queue.Queue, ids []queue.ID) int {
	code := 0
	for _, id := range ids {
		st, err := q.State(id)
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to read message %s: %v", id, err)
		}
		if st != queue.S4 && st != queue.S5 {
			inv.Warn("no message %s in the queue", id)
			code = max(code, cli.ExitPermanent)
			continue
		}
		if err := removeOne(q, id); err != nil {
			inv.Warn("unable to remove message %s: %v", id, err)
			code = cli.ExitTemporary
		}
	}
	return code
}

// removeOne takes a message out of the queue safely: through qmail-send's
// own bookkeeping when it runs, or, holding lock/sendmutex so that it
// cannot start meanwhile, by removing the files in an order that leaves
// only states recovery knows.
func removeOne(q *queue.Queue, id queue.ID) error {
	deadline := time.Now().Add(RemoveWait)
	for {
		running, lock, err := sendRunning(q)
		if err != nil {
			return err
		}
		if !running {
			defer lock.Close()
			return removeFiles(q, id)
		}
		if err := request(q, "remove "+id.String()); err != nil && !errors.Is(err, syscall.ENXIO) {
			return err
		}
		// A message still in todo/ is not qmail-send's yet: ask again
		// until it is, and wait for it to be gone.
		for next := time.Now().Add(time.Second); time.Now().Before(next); {
			st, err := q.State(id)
			if err != nil {
				return err
			}
			if st != queue.S4 && st != queue.S5 {
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			return errors.New("qmail-send did not remove it in time")
		}
	}
}

// removeFiles removes todo first (the message is no longer queued), then
// info (no longer in delivery: S2, or S1 once mess goes), then the rest;
// a crash between the steps leaves a state recovery cleans.
func removeFiles(q *queue.Queue, id queue.ID) error {
	steps := []struct {
		path string
		sync bool
	}{
		{q.Todo(id), true}, {q.Info(id), true},
		{q.Bounce(id), true}, {q.Local(id), false}, {q.Remote(id), false},
		{q.Intd(id), false}, {q.Mess(id), false},
	}
	for _, s := range steps {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if s.sync {
			if err := durable.SyncDir(dirOf(s.path)); err != nil {
				return err
			}
		}
	}
	return nil
}

func dirOf(p string) string {
	i := len(p) - 1
	for i > 0 && p[i] != '/' {
		i--
	}
	return p[:i]
}
