package moderate

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/command"
	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

// Moderate is ezmlm-moderate.
func Moderate(inv *cli.Invocation) int {
	const usage = "[-cCmMrRvV] [-t replyto] dir"
	mime := true
	replyTo := ""
	var opts sendArgs
	p := getopt.New(inv.Args, "cCmMrRt:T:vV")
	for {
		c, arg, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'm':
			mime = true
		case 'M':
			mime = false
		case 't', 'T':
			replyTo = arg
		case 'c', 'C', 'r', 'R':
			opts.add(c)
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	return mail.Report(inv, decide(inv, rest[0], opts, mime, replyTo))
}

// state is where a stored post is.
type state int

const (
	gone state = iota
	pending
	accepted
	rejected
)

func find(l *listdir.List, base string) (state, string, error) {
	for _, c := range []struct {
		dir string
		st  state
	}{{"pending", pending}, {"accepted", accepted}, {"rejected", rejected}} {
		p := l.Path(filepath.Join("mod", c.dir, base))
		if _, err := os.Stat(p); err == nil {
			return c.st, p, nil
		} else if !os.IsNotExist(err) {
			return gone, "", djberr.Wrap("unable to stat "+p, err)
		}
	}
	return gone, "", nil
}

func decide(inv *cli.Invocation, dir string, opts sendArgs, mime bool, replyTo string) error {
	l, err := listdir.Open(dir)
	if err != nil {
		return mail.Temp(err)
	}
	if _, err := mail.CheckRequester(inv); err != nil {
		return err
	}
	local, ok := inv.Getenv("LOCAL")
	if !ok {
		return mail.Fatal(mail.ExitPermanent, "LOCAL not set")
	}
	def, ok := inv.Getenv("DEFAULT")
	if !ok {
		return mail.Fatal(mail.ExitPermanent, "DEFAULT not set")
	}
	m, err := command.ParseModerate(local, def)
	if err != nil {
		return mail.Fatal(mail.ExitPermanent, "Illegal request format (#5.7.1)")
	}
	key, err := l.Key()
	if err != nil {
		return mail.Temp(err)
	}
	if cookie.Cookie(key, m.Base, "", 'a') != m.Cookie {
		return mail.Fatal(mail.ExitPermanent, "Illegal request format (#5.7.1)")
	}
	lock, err := l.Lock("mod/lock")
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()
	st, name, err := find(l, m.Base)
	if err != nil {
		return mail.Temp(err)
	}
	switch {
	case st == gone:
		return mail.Fatal(mail.ExitPermanent, "I'm sorry, I no longer have this message")
	case st == accepted && m.Accept:
		return mail.Info(mail.ExitOK, "I'm sorry, I've already accepted this message")
	case st == accepted:
		return mail.Fatal(mail.ExitPermanent, "I'm sorry, I've already accepted this message")
	case st == rejected && !m.Accept:
		return mail.Info(mail.ExitOK, "I'm sorry, I've already rejected this message")
	case st == rejected:
		return mail.Fatal(mail.ExitPermanent, "I'm sorry, I've already rejected this message")
	}
	f, err := os.Open(name)
	if err != nil {
		return mail.Temp(djberr.Wrap("unable to open "+name, err))
	}
	defer f.Close()
	poster := returnPath(f)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return mail.Temp(djberr.Wrap("unable to seek "+name, err))
	}
	done := filepath.Join("mod", "rejected", m.Base)
	if m.Accept {
		if code := runSend(inv, dir, opts, f, &poster); code != 0 {
			return &mail.Exit{Code: code}
		}
		done = filepath.Join("mod", "accepted", m.Base)
		mark(l, done, name)
		return nil
	}
	stored, err := io.ReadAll(io.LimitReader(f, mail.MaxMessage))
	if err != nil {
		return mail.Temp(djberr.Wrap("unable to read "+name, err))
	}
	in, err := mail.Read(inv.Stdin)
	if err != nil {
		return err
	}
	b := mail.NewBuilder(l, l.Outlocal, time.Now())
	if err := b.MailingList(); err != nil {
		return mail.Temp(err)
	}
	b.DateMessageID()
	b.From("-owner")
	if replyTo != "" {
		b.Add("Reply-To", replyTo)
	}
	b.Add("To", poster)
	b.Add("Subject", "Returned post for "+l.Address())
	if mime {
		b.Multipart("mixed")
		if err := b.Part(true); err != nil {
			return mail.Temp(err)
		}
	} else {
		b.WriteString("\n")
	}
	flags, _ := l.Flags()
	s := &listdir.Subst{Local: l.Outlocal, MainLocal: l.Outlocal, Host: l.Outhost, Target: poster, Dir: l.Dir, Flags: flags}
	if err := b.Text("top", s); err != nil {
		return err
	}
	if err := b.Text("mod-reject", s); err != nil {
		return err
	}
	if c, ok := Comment(in.Body); ok {
		b.WriteString("\n>>>>> -------------------- >>>>>\n" + c + "<<<<< -------------------- <<<<<\n")
	}
	if mime {
		if err := b.Part(false); err != nil {
			return mail.Temp(err)
		}
	} else {
		b.WriteString("\n")
	}
	b.Write(stored)
	if mime {
		b.End()
	}
	var recips []string
	if poster != "" {
		recips = []string{poster}
	}
	qp, err := mail.NewQueue(inv).Send(b.Bytes(), l.Outlocal+"-return-@"+l.Outhost, recips)
	if err != nil {
		return err
	}
	mark(l, done, name)
	return mail.Info(mail.ExitOK, "qp %d", qp)
}

// mark records the decision for the moderators who act later (an empty
// file under accepted/ or rejected/) and takes the post out of
// pending/; a failure here is not worth a retry, as in ezmlm.
func mark(l *listdir.List, done, pendingName string) {
	if f, err := os.OpenFile(l.Path(done), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err == nil {
		f.Close()
	}
	os.Remove(pendingName)
}

// returnPath is the sender named by a stored post's first line.
func returnPath(f *os.File) string {
	line, _ := bufio.NewReader(f).ReadString('\n')
	if !mail.Is(line, "Return-Path") {
		return ""
	}
	i := strings.IndexByte(line, '<')
	j := strings.LastIndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// Comment is the moderator's text for the poster: the lines between a
// line with "%%%" after at most five quoting bytes and the next such
// line, the first line's quoting taken off each; ok when there is at
// least one line and the closing mark.
func Comment(body []byte) (string, bool) {
	var b strings.Builder
	quote := ""
	started, lines := false, 0
	for _, line := range strings.SplitAfter(string(body), "\n") {
		if !strings.HasSuffix(line, "\n") {
			break
		}
		i := strings.IndexByte(line, '%')
		if i >= 0 && i <= 5 && strings.HasPrefix(line[i:], "%%%") {
			if !started {
				started, quote = true, line[:i]
				continue
			}
			if lines > 0 {
				return b.String(), true
			}
			return "", false
		}
		if started {
			lines++
			line = strings.TrimSuffix(line, "\r\n")
			line = strings.TrimSuffix(line, "\n") + "\n"
			b.WriteString(strings.TrimPrefix(line, quote))
		}
	}
	return "", false
}

// Clean is ezmlm-clean.
func Clean(inv *cli.Invocation) int {
	const usage = "[-mMrRvV] dir"
	mime := true
	ret := -1
	p := getopt.New(inv.Args, "mMrRvV")
	for {
		c, _, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'm':
			mime = true
		case 'M':
			mime = false
		case 'r':
			ret = 1
		case 'R':
			ret = 0
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	return mail.Report(inv, clean(inv, rest[0], mime, ret, time.Now()))
}

// Delays bound dir/modtime, in hours.
const (
	DelayMin     = 24
	DelayDefault = 120
	DelayMax     = 240
)

func clean(inv *cli.Invocation, dir string, mime bool, ret int, now time.Time) error {
	l, err := listdir.Open(dir)
	if err != nil {
		return mail.Temp(err)
	}
	if ret < 0 {
		ret = 1
		if l.Exists("noreturnposts") {
			ret = 0
		}
	}
	delay, err := l.Uint("modtime", 0)
	if err != nil {
		return mail.Temp(err)
	}
	switch {
	case delay == 0:
		delay = DelayDefault
	case delay < DelayMin:
		delay = DelayMin
	case delay > DelayMax:
		delay = DelayMax
	}
	older := now.Unix() - 3600*int64(delay)
	lock, err := l.Lock("mod/lock")
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()
	c := &cleaner{inv: inv, l: l, mime: mime, now: now}
	for _, d := range []struct {
		name  string
		reply bool
	}{{"pending", ret == 1}, {"accepted", false}, {"rejected", false}, {"unconfirmed", false}} {
		if err := c.dir(filepath.Join("mod", d.name), d.reply, older); err != nil {
			return err
		}
	}
	return nil
}

type cleaner struct {
	inv  *cli.Invocation
	l    *listdir.List
	mime bool
	now  time.Time
	sent int
}

// dir handles one queue directory: every file whose name's time is
// before older goes, a pending post with the execute bit after its
// poster has been told.
func (c *cleaner) dir(rel string, reply bool, older int64) error {
	ents, err := os.ReadDir(c.l.Path(rel))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return mail.Temp(djberr.Wrap("unable to open "+c.l.Path(rel), err))
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		t, _ := strconv.ParseInt(leading(e.Name()), 10, 64)
		if t >= older {
			continue
		}
		p := filepath.Join(c.l.Path(rel), e.Name())
		st, err := os.Stat(p)
		if err != nil || st.Mode()&0o200 == 0 {
			continue
		}
		if reply && st.Mode()&0o100 != 0 {
			if err := c.notice(p); err != nil {
				return err
			}
		}
		os.Remove(p)
	}
	return nil
}

// notice returns a post that waited too long to its poster.
func (c *cleaner) notice(p string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return mail.Temp(djberr.Wrap("unable to read "+p, err))
	}
	f, err := os.Open(p)
	if err != nil {
		return mail.Temp(djberr.Wrap("unable to open "+p, err))
	}
	to := returnPath(f)
	f.Close()
	if to == "" {
		return nil // nobody to tell: the post just goes
	}
	b := mail.NewBuilder(c.l, c.l.Outlocal, c.now.Add(time.Duration(c.sent)*time.Second))
	c.sent++
	if err := b.MailingList(); err != nil {
		return mail.Temp(err)
	}
	b.DateMessageID()
	b.From("-help")
	b.Add("Subject", "Returned post for "+c.l.Address())
	b.Add("To", to)
	if c.mime {
		b.Multipart("mixed")
		if err := b.Part(true); err != nil {
			return mail.Temp(err)
		}
	} else {
		b.WriteString("\n\n")
	}
	flags, _ := c.l.Flags()
	s := &listdir.Subst{Local: c.l.Outlocal, MainLocal: c.l.Outlocal, Host: c.l.Outhost, Target: to, Dir: c.l.Dir, Flags: flags}
	if err := b.Text("top", s); err != nil {
		return err
	}
	if err := b.Text("mod-timeout", s); err != nil {
		return err
	}
	if c.mime {
		if err := b.Part(false); err != nil {
			return mail.Temp(err)
		}
	}
	b.Write(data)
	if c.mime {
		b.End()
	}
	qp, err := mail.NewQueue(c.inv).Send(b.Bytes(), c.l.Outlocal+"-return-@"+c.l.Outhost, []string{to})
	if err != nil {
		return err
	}
	c.inv.Stderr.Write([]byte(c.inv.Name + ": info: qp " + strconv.Itoa(qp) + "\n"))
	return nil
}

func leading(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
