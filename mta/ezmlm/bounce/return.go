package bounce

import (
	"bytes"
	"fmt"
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

// ProbeLifetime is how old a warning's or probe's cookie may be when
// its bounce comes back (3,000,000 seconds, about 35 days).
const ProbeLifetime = 3000000

// Return is ezmlm-return: it handles a bounce sent to
// LIST-return-DEFAULT@HOST and exits 99, so that nothing else in the
// bouncer runs.
func Return(inv *cli.Invocation) int {
	digest := false
	p := getopt.New(inv.Args, "dDvV")
	for {
		c, _, more, err := p.Next()
		if err != nil {
			return inv.Usage("[-dD] dir")
		}
		if !more {
			break
		}
		switch c {
		case 'd':
			digest = true
		case 'D':
			digest = false
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage("[-dD] dir")
	}
	return mail.Report(inv, doReturn(inv, rest[0], digest, time.Now()))
}

func trash() error { return mail.Info(mail.ExitSkip, "trash address") }

func doReturn(inv *cli.Invocation, dir string, digest bool, now time.Time) error {
	sender, ok := mail.Sender(inv)
	if !ok {
		return mail.Fatal(mail.ExitPermanent, "SENDER not set")
	}
	def, ok := inv.Getenv("DEFAULT")
	if !ok {
		return mail.Fatal(mail.ExitPermanent, "DEFAULT not set")
	}
	l, err := listdir.Open(dir)
	if err != nil {
		return mail.Temp(err)
	}
	work := "."
	if digest {
		work = "digest"
	}
	if def == "" {
		return trash()
	}
	b, err := command.ParseReturn(def)
	if err == command.ErrTrash {
		return trash()
	}
	if err != nil {
		return mail.Fatal(mail.ExitPermanent, "Invalid bounce or receipt address format (#5.1.1)")
	}
	r := &returner{l: l, db: l.DB(work), work: work, sender: sender, now: now}
	if b.Kind == command.KindWarn || b.Kind == command.KindProbe {
		key, err := l.Key()
		if err != nil {
			return mail.Temp(err)
		}
		t := uint64(now.Unix())
		action := byte('W')
		if b.Kind == command.KindProbe {
			action = 'P'
		}
		if t-b.When > ProbeLifetime || cookie.Cookie(key, strconv.FormatUint(b.When, 10), b.Addr, action) != b.Cookie {
			return trash()
		}
		if b.Kind == command.KindProbe {
			if _, err := r.db.Remove(b.Addr, "-probe"); err != nil {
				return err
			}
			return mail.Info(mail.ExitSkip, "")
		}
	}
	lock, err := l.Lock(filepath.Join(work, "lockbounce"))
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()
	in, err := mail.Read(inv.Stdin)
	if err != nil {
		return err
	}
	switch b.Kind {
	case command.KindWarn:
		if err := r.warned(b.Addr, in.Raw); err != nil {
			return mail.Temp(err)
		}
	case command.KindMessage:
		if err := r.bounced(b.Addr, b.Msg, in.Raw); err != nil {
			return mail.Temp(err)
		}
	case command.KindReport:
		if err := r.report(b.Msg, in.Raw); err != nil {
			return err
		}
	}
	return mail.Info(mail.ExitSkip, "")
}

type returner struct {
	l      *listdir.List
	db     *listdir.DB
	work   string
	sender string
	now    time.Time
	seq    int // addresses recorded from one report
}

func (r *returner) path(elem ...string) string {
	return r.l.Path(filepath.Join(append([]string{r.work, "bounce"}, elem...)...))
}

func (r *returner) content(addr string, bounce []byte) []byte {
	var b bytes.Buffer
	b.WriteString(addr)
	b.WriteByte(0)
	b.WriteString("Return-Path: <" + mail.QuoteAddress(r.sender) + ">\n")
	b.Write(bounce)
	return b.Bytes()
}

// day and sec split the time as ezmlm-return names its files.
func (r *returner) day() string { return strconv.FormatInt(r.now.Unix()/10000, 10) }
func (r *returner) sec() string { return strconv.FormatInt(r.now.Unix()%10000, 10) }

func mkdir(p string) error {
	if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
		return djberr.Wrap("unable to create "+p, err)
	}
	return nil
}

// warned records that a warning to addr bounced: bounce/d/DAY/wSEC.PID.
func (r *returner) warned(addr string, bounce []byte) error {
	if _, is, err := r.db.IsSub(addr); err != nil || !is {
		return err
	}
	for _, p := range []string{r.path(), r.path("d"), r.path("d", r.day())} {
		if err := mkdir(p); err != nil {
			return err
		}
	}
	name := "w" + r.sec() + "." + strconv.Itoa(os.Getpid())
	final := r.path("d", r.day(), name)
	return listdir.WriteAtomic(final, r.path("d", r.day(), "W"+name[1:]), r.content(addr, bounce), 0o644)
}

// bounced records that message msg bounced for addr (doit): the bounce
// itself only for the address's first bounce since its last warning,
// the message number always.
func (r *returner) bounced(addr string, msg uint64, bounce []byte) error {
	if _, is, err := r.db.IsSub(addr); err != nil || !is {
		return err
	}
	for _, p := range []string{r.path(), r.path("d"), r.path("h")} {
		if err := mkdir(p); err != nil {
			return err
		}
	}
	name := "d" + r.sec() + "." + strconv.Itoa(os.Getpid())
	if r.seq > 0 {
		name += "." + strconv.Itoa(r.seq)
	}
	r.seq++
	h := cookie.Cookie(nil, "", addr, 0)
	hdir := r.path("h", h[:1])
	if err := mkdir(hdir); err != nil {
		return err
	}
	hfile := filepath.Join(hdir, "h"+h[1:])
	old, err := os.ReadFile(hfile)
	if err != nil && !os.IsNotExist(err) {
		return djberr.Wrap("unable to read "+hfile, err)
	}
	if os.IsNotExist(err) {
		if err := mkdir(r.path("d", r.day())); err != nil {
			return err
		}
		if err := listdir.WriteAtomic(r.path("d", r.day(), name), r.path("d", r.day()+"_"+name), r.content(addr, bounce), 0o644); err != nil {
			return err
		}
	}
	data := append(old, fmt.Sprintf("   %d\n", msg)...)
	return listdir.WriteAtomic(hfile, filepath.Join(hdir, "H"+h[1:]), data, 0o644)
}

// report reads qmail-send's own bounce (a QSBMF report, qmail's
// bounce format): its header, the "Hi. This is the" paragraph, then one
// paragraph per failed recipient starting "<address>:", up to a
// paragraph starting with '-'. Each address is recorded with those
// three paragraphs as its bounce.
func (r *returner) report(msg uint64, raw []byte) error {
	paras := paragraphs(raw)
	if len(paras) < 2 {
		return trash()
	}
	header := paras[0]
	i := 1
	for i < len(paras) && strings.HasPrefix(paras[i], "--") {
		i++ // a MIME boundary before the text
	}
	if i >= len(paras) || !strings.HasPrefix(paras[i], "Hi. This is the") {
		return trash()
	}
	intro := paras[i]
	for _, p := range paras[i+1:] {
		if strings.HasPrefix(p, "-") {
			break
		}
		if !strings.HasPrefix(p, "<") {
			continue
		}
		first := p
		if j := strings.IndexByte(p, '\n'); j >= 0 {
			first = p[:j]
		}
		if !strings.HasSuffix(first, ">:") || len(first) < 3 {
			continue
		}
		addr := first[1 : len(first)-2]
		if strings.IndexByte(addr, 0) >= 0 {
			continue
		}
		if err := r.bounced(addr, msg, []byte(header+intro+p)); err != nil {
			return mail.Temp(err)
		}
	}
	return nil
}

// paragraphs splits text into paragraphs, each with the empty line
// that ends it; an unterminated last paragraph is dropped, as
// ezmlm-return drops it.
func paragraphs(b []byte) []string {
	var out []string
	var cur strings.Builder
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		line := b[:i+1]
		b = b[i+1:]
		cur.Write(line)
		if len(line) <= 1 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}
