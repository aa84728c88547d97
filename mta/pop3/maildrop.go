package pop3

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/mta/maildir"
)

// message is one entry of the listing made at the start of the session.
type message struct {
	path    string // dir/new/name or dir/cur/name
	subdir  string
	name    string
	unique  string // the UIDL: name up to ':'
	size    int64
	deleted bool
}

// Maildrop is one qmail-pop3d session over a Maildir.
type Maildrop struct {
	dir     string
	in      *bufio.Reader
	out     *bufio.Writer
	conn    io.Reader
	wconn   io.Writer
	timeout time.Duration
	log     io.Writer
	now     func() time.Time

	msgs []message
	last int // LAST: the highest message number deleted (qmail counts only DELE)
}

// NewMaildrop prepares a session on the Maildir dir, reading r and
// writing w, with timeout as the idle limit (qmail: 1200 s). Warnings go
// to log.
func NewMaildrop(dir string, r io.Reader, w io.Writer, timeout time.Duration, log io.Writer) *Maildrop {
	return &Maildrop{
		dir:     dir,
		in:      bufio.NewReaderSize(r, 4096),
		out:     bufio.NewWriterSize(w, 32<<10),
		conn:    r,
		wconn:   w,
		timeout: timeout,
		log:     log,
		now:     time.Now,
	}
}

var maildropVerbs = map[string]func(*Maildrop, string) error{
	"quit": (*Maildrop).cmdQuit,
	"stat": (*Maildrop).cmdStat,
	"list": (*Maildrop).cmdList,
	"uidl": (*Maildrop).cmdUidl,
	"dele": (*Maildrop).cmdDele,
	"retr": (*Maildrop).cmdRetr,
	"top":  (*Maildrop).cmdTop,
	"rset": (*Maildrop).cmdRset,
	"last": (*Maildrop).cmdLast,
	"noop": (*Maildrop).cmdNoop,
	"capa": (*Maildrop).cmdCapa,
}

type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// Run lists the Maildir, answers "+OK " (the reply to PASS or APOP) and
// holds the dialogue until QUIT, end of input or a timeout. Like
// qmail-pop3d it reports trouble to the client and returns; the error is
// for the log.
func (m *Maildrop) Run() error {
	if err := m.scan(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			m.reply("-ERR this user has no $HOME/Maildir")
		} else {
			m.reply("-ERR unable to scan $HOME/Maildir")
		}
		m.out.Flush()
		return err
	}
	m.okay()
	for {
		if m.in.Buffered() == 0 {
			if err := m.flush(); err != nil {
				return err
			}
		}
		verb, arg, err := readCommand(m.in, m.conn, m.timeout)
		switch {
		case err == io.EOF:
			return nil
		case err == errLineTooLong:
			m.reply("-ERR line too long")
			m.flush()
			return err
		case isTimeout(err):
			// qmail-pop3d just hangs up; deletions are not carried out.
			return err
		case err != nil:
			return err
		}
		h, ok := maildropVerbs[verb]
		if !ok {
			m.reply("-ERR unimplemented")
			continue
		}
		if err := h(m, arg); err != nil {
			m.flush()
			if err == errQuit {
				return nil
			}
			return err
		}
	}
}

func (m *Maildrop) flush() error {
	if d, ok := m.wconn.(writeDeadliner); ok && m.timeout > 0 {
		d.SetWriteDeadline(time.Now().Add(m.timeout))
	}
	return m.out.Flush()
}

// scan lists new/ and cur/ oldest first, leaving out what arrived in the
// current second (its order is not settled), as qmail's maildir_scan, and
// what is not a regular file with a safe name (see safeName).
func (m *Maildrop) scan() error {
	if _, err := os.Stat(filepath.Join(m.dir, "cur")); err != nil {
		return err
	}
	maildir.Clean(m.dir, m.now())
	list, err := maildir.Scan(m.dir, true, true, m.now())
	if err != nil {
		return err
	}
	m.msgs = make([]message, 0, len(list))
	unsafe := 0
	for _, e := range list {
		if !safeName(e.Name) {
			unsafe++
			continue
		}
		m.msgs = append(m.msgs, message{path: e.Path, subdir: e.Subdir, name: e.Name, unique: e.Unique(), size: e.Size})
	}
	if unsafe > 0 {
		m.warn("left out " + strconv.Itoa(unsafe) + " file(s) of " + m.dir + " whose names are not printable ASCII without spaces")
	}
	return nil
}

// safeName tells whether a file of the Maildir may be listed: its name
// up to ':' is its UIDL, which RFC 1939 section 7 makes of the bytes 0x21
// to 0x7E, and a CR, LF, space or control character there would break
// the listing's lines or the UIDL's one token (a client could be shown
// lines the server never meant). Anyone who can write the Maildir can
// make such a name; qmail-local and maildir.UniqueName never do.
func safeName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return name != ""
}

// open opens message i, following it into cur/ when another session has
// moved it there (or changed its flags) since the listing.
func (m *Maildrop) open(i int) (*os.File, error) {
	f, err := maildir.OpenMessage(m.msgs[i].path)
	if !errors.Is(err, fs.ErrNotExist) || !m.follow(i) {
		return f, err
	}
	return maildir.OpenMessage(m.msgs[i].path)
}

// follow looks for message i in cur/ under its unique name and, when it
// is there, makes that its path.
func (m *Maildrop) follow(i int) bool {
	p, err := maildir.FindCur(m.dir, m.msgs[i].unique)
	if err != nil || p == "" {
		return false
	}
	e := &m.msgs[i]
	e.path, e.subdir, e.name = p, "cur", filepath.Base(p)
	return true
}

func (m *Maildrop) reply(s string) { m.out.WriteString(s + "\r\n") }

func (m *Maildrop) okay() { m.reply("+OK ") }

// msgno parses a message number as qmail-pop3d does: leading digits,
// counted from 1, not deleted. It answers the client itself on failure.
func (m *Maildrop) msgno(arg string) (int, bool) {
	n := 0
	for n < len(arg) && '0' <= arg[n] && arg[n] <= '9' {
		n++
	}
	if n == 0 {
		m.reply("-ERR syntax error")
		return 0, false
	}
	u, err := strconv.ParseUint(arg[:n], 10, 32)
	if err != nil || u > uint64(len(m.msgs)) {
		m.reply("-ERR not that many messages")
		return 0, false
	}
	if u == 0 {
		m.reply("-ERR messages are counted from 1")
		return 0, false
	}
	i := int(u - 1)
	if m.msgs[i].deleted {
		m.reply("-ERR already deleted")
		return 0, false
	}
	return i, true
}

func (m *Maildrop) touch(i int) {
	if i+1 > m.last {
		m.last = i + 1
	}
}

func (m *Maildrop) cmdNoop(string) error {
	m.okay()
	return nil
}

func (m *Maildrop) cmdStat(string) error {
	var n int
	var total int64
	for _, e := range m.msgs {
		if !e.deleted {
			n++
			total += e.size
		}
	}
	m.reply("+OK " + strconv.Itoa(n) + " " + strconv.FormatInt(total, 10))
	return nil
}

func (m *Maildrop) listing(arg string, entry func(i int) string) error {
	if arg != "" {
		i, ok := m.msgno(arg)
		if ok {
			m.reply("+OK " + entry(i))
		}
		return nil
	}
	m.okay()
	for i, e := range m.msgs {
		if !e.deleted {
			m.reply(entry(i))
		}
	}
	m.reply(".")
	return nil
}

func (m *Maildrop) cmdList(arg string) error {
	return m.listing(arg, func(i int) string {
		return strconv.Itoa(i+1) + " " + strconv.FormatInt(m.msgs[i].size, 10)
	})
}

func (m *Maildrop) cmdUidl(arg string) error {
	return m.listing(arg, func(i int) string {
		return strconv.Itoa(i+1) + " " + m.msgs[i].unique
	})
}

func (m *Maildrop) cmdDele(arg string) error {
	i, ok := m.msgno(arg)
	if !ok {
		return nil
	}
	m.msgs[i].deleted = true
	m.touch(i)
	m.okay()
	return nil
}

func (m *Maildrop) cmdRset(string) error {
	for i := range m.msgs {
		m.msgs[i].deleted = false
	}
	m.last = 0
	m.okay()
	return nil
}

func (m *Maildrop) cmdLast(string) error {
	m.reply("+OK " + strconv.Itoa(m.last))
	return nil
}

func (m *Maildrop) cmdCapa(string) error {
	m.reply("+OK capability list follows")
	for _, c := range []string{"TOP", "UIDL", "PIPELINING", "IMPLEMENTATION quail"} {
		m.reply(c)
	}
	m.reply(".")
	return nil
}

func (m *Maildrop) cmdRetr(arg string) error { return m.send(arg, false) }

func (m *Maildrop) cmdTop(arg string) error { return m.send(arg, true) }

// send answers RETR, or TOP with its body line count. As in qmail-pop3d
// a missing count after TOP sends the whole message.
func (m *Maildrop) send(arg string, top bool) error {
	i, ok := m.msgno(arg)
	if !ok {
		return nil
	}
	limit := -1
	if top {
		rest := strings.TrimLeft(strings.TrimLeft(arg, "0123456789"), " ")
		n := 0
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n > 0 {
			v, err := strconv.ParseUint(rest[:n], 10, 31)
			if err != nil {
				v = 1<<31 - 1
			}
			limit = int(v)
		}
	}
	f, err := m.open(i)
	if err != nil {
		m.reply("-ERR unable to open that message")
		return nil
	}
	defer f.Close()
	m.okay()
	// On a read error the reply is under way and the client cannot be
	// told: the session ends without the final dot, so a half-sent
	// message never looks complete.
	return WriteMessage(&deadlineFlusher{m}, f, limit)
}

// deadlineFlusher renews the write deadline as a long message goes out.
type deadlineFlusher struct{ m *Maildrop }

func (d *deadlineFlusher) Write(p []byte) (int, error) {
	if d.m.out.Available() < len(p) {
		if dl, ok := d.m.wconn.(writeDeadliner); ok && d.m.timeout > 0 {
			dl.SetWriteDeadline(time.Now().Add(d.m.timeout))
		}
	}
	return d.m.out.Write(p)
}

func (m *Maildrop) cmdQuit(string) error {
	failed := false
	touched := map[string]bool{}
	for i := range m.msgs {
		e := &m.msgs[i]
		switch {
		case e.deleted:
			err := os.Remove(e.path)
			if errors.Is(err, fs.ErrNotExist) && m.follow(i) {
				// Another session moved it to cur/ meanwhile: the
				// deletion follows it there rather than being lost.
				err = os.Remove(e.path)
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				failed = true
				m.warn("unable to unlink " + e.path + ": " + err.Error())
			}
			touched[e.subdir] = true
		case e.subdir == "new":
			// Seen by a client now: it belongs in cur/, as qmail-pop3d
			// moves it, with an empty info part.
			dst := filepath.Join(m.dir, "cur", e.name+":2,")
			if err := os.Rename(e.path, dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
				m.warn("unable to move " + e.path + " to cur: " + err.Error())
			}
			touched["new"], touched["cur"] = true, true
		}
	}
	for sub := range touched {
		if err := durable.SyncDir(filepath.Join(m.dir, sub)); err != nil {
			failed = true
			m.warn(err.Error())
		}
	}
	if failed {
		m.reply("-ERR unable to unlink all deleted messages")
	} else {
		m.okay()
	}
	return errQuit
}

func (m *Maildrop) warn(s string) {
	if m.log != nil {
		io.WriteString(m.log, "qmail-pop3d: warning: "+s+"\n")
	}
}
