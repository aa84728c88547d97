// Package digest is ezmlm-get(1) and ezmlm-tstdig(1): archive
// retrieval (LIST-get.N_M, LIST-index.N_M, LIST-digest) and digests of
// a list (dig.CODE from the manager, ezmlm-get in the editor after
// ezmlm-tstdig says it is time, or ezmlm-get run by hand).
//
// A digest is a MIME multipart/digest (ezmlm-get's default format 'm')
// to the digest subscribers (dir/digest/subscribers) from
// LIST-digest-return-N-@HOST-@[] (N its first message, so that a
// bounce names it): a table of contents by subject, the Administrivia
// (text/digest), then each message as a message/rfc822 part with the
// header fields of dir/digheaders (From, To, Subject, Reply-To, Date,
// Message-ID, Cc, MIME-Version, Content-Type, Content-Transfer-Encoding
// without it). dir/digissue counts the digests; dir/dignum holds
// "last message:body volume:time" of the last one.
package digest

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
	"github.com/quail-mta/quail/mta/received"
)

// Limits of a retrieval (ezmlm-idx's idx.h).
const (
	MaxGet   = 100  // messages in one -get
	HistGet  = 30   // messages -get without numbers sends when no digest was made
	MaxIndex = 2000 // messages one -index covers
)

var defaultDigHeaders = []string{"from", "to", "subject", "reply-to", "date", "message-id", "cc", "mime-version", "content-type", "content-transfer-encoding"}

type getter struct {
	inv       *cli.Invocation
	l         *listdir.List
	when      time.Time
	public    int // -p 1, -P 0, -1 from dir/public and dir/modgetonly
	subOnly   int // -s 1, -S 0, -1 from dir/subgetonly
	omit      bool
	commands  bool
	code      string
	sender    string
	in        *mail.Message
	headerSet map[string]bool
}

// Get is ezmlm-get.
func Get(inv *cli.Invocation) int {
	const usage = "[-bBcClLpPsSvV] [-f fmt] dir [digestcode]"
	g := &getter{inv: inv, when: time.Now(), public: -1, subOnly: -1, commands: true}
	p := getopt.New(inv.Args, "bBcCf:lLpPsSvV")
	for {
		c, _, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'b':
			g.omit = false
		case 'B':
			g.omit = true
		case 'c':
			g.commands = true
		case 'C':
			g.commands = false
		case 'p':
			g.public = 1
		case 'P':
			g.public = 0
		case 's':
			g.subOnly = 1
		case 'S':
			g.subOnly = 0
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	if len(rest) > 1 {
		g.code = rest[1]
	}
	return mail.Report(inv, g.run(rest[0]))
}

func (g *getter) run(dir string) error {
	var err error
	if g.l, err = listdir.Open(dir); err != nil {
		return mail.Temp(err)
	}
	if g.code == "" {
		if g.code, _, err = g.l.Line("digestcode"); err != nil {
			return mail.Temp(err)
		}
	}
	if g.l.Exists("omitbottom") {
		g.omit = true
	}
	local, _ := g.inv.Getenv("LOCAL")
	def, hasDef := g.inv.Getenv("DEFAULT")
	action := ""
	digest := false
	goodExit := mail.ExitOK
	if local != "" {
		if g.sender, err = mail.CheckRequester(g.inv); err != nil {
			return err
		}
		switch {
		case !hasDef:
			digest = true // in the editor, after ezmlm-tstdig
		case def == "":
			return nil // LIST-@HOST: the manager answers with help
		default:
			action, goodExit = def, mail.ExitSkip
		}
		if low := strings.ToLower(action); strings.HasPrefix(low, "dig") && !strings.HasPrefix(low, "digest") {
			rest := action[3:]
			if !strings.HasPrefix(rest, "-") && !strings.HasPrefix(rest, ".") {
				return nil
			}
			rest = rest[1:]
			if g.code == "" || len(rest) < len(g.code) || !strings.EqualFold(rest[:len(g.code)], g.code) {
				return mail.Fatal(mail.ExitPermanent, "incorrect digest code (#5.7.1)")
			}
			digest = true
		}
	} else {
		digest = true // run by hand
	}
	if !g.l.Exists("archived") {
		return mail.Fatal(mail.ExitPermanent, "Sorry, this list is not archived (#5.1.1)")
	}
	if err := g.digHeaders(); err != nil {
		return mail.Temp(err)
	}
	if digest {
		if err := g.digest(); err != nil {
			if e, ok := err.(*mail.Exit); ok && e.Code == mail.ExitOK {
				return &mail.Exit{Code: goodExit, Text: e.Text}
			}
			return err
		}
		return &mail.Exit{Code: goodExit}
	}
	low := strings.ToLower(action)
	var kind string
	switch {
	case low == "digest":
		kind, action = "get", "get"
	case strings.HasPrefix(low, "get"):
		kind = "get"
	case strings.HasPrefix(low, "index"):
		kind = "index"
	default:
		return nil // not for ezmlm-get: ezmlm-manage answers
	}
	if !g.commands {
		return mail.Fatal(mail.ExitPermanent, "command not available")
	}
	if err := g.allowed(); err != nil {
		return err
	}
	if g.in, err = mail.Read(g.inv.Stdin); err != nil {
		return err
	}
	if kind == "get" {
		err = g.get(action)
	} else {
		err = g.index(action)
	}
	if err != nil {
		if e, ok := err.(*mail.Exit); ok && e.Code == mail.ExitOK {
			return &mail.Exit{Code: goodExit, Text: e.Text}
		}
		return err
	}
	return &mail.Exit{Code: goodExit}
}

// allowed checks who may fetch from the archive: on a list that is
// not public (or dir/modgetonly) only remote administrators, with
// dir/subgetonly only subscribers.
func (g *getter) allowed() error {
	public := g.public
	if public < 0 {
		public = 0
		if g.l.Exists("public") && !g.l.Exists("modgetonly") {
			public = 1
		}
	}
	if public == 0 {
		moddir, _, err := g.l.Line("modsub")
		if err != nil {
			return mail.Temp(err)
		}
		remote, isRemote, err := g.l.Line("remote")
		if err != nil {
			return mail.Temp(err)
		}
		if !isRemote {
			return mail.Fatal(mail.ExitPermanent, "Sorry, I've been told to reject all requests (#5.7.2)")
		}
		if moddir == "" {
			moddir = remote
		}
		if moddir == "" {
			moddir = "mod"
		}
		if _, is, err := g.l.DB(moddir).IsSub(g.sender); err != nil {
			return mail.Temp(err)
		} else if !is {
			return mail.Fatal(mail.ExitPermanent, "Sorry, I've been told to reject all requests (#5.7.2)")
		}
	}
	sub := g.subOnly
	if sub < 0 {
		sub = 0
		if g.l.Exists("subgetonly") {
			sub = 1
		}
	}
	if sub == 1 {
		for _, d := range []string{".", "digest", "allow"} {
			if _, is, err := g.l.DB(d).IsSub(g.sender); err != nil {
				return mail.Temp(err)
			} else if is {
				return nil
			}
		}
		return mail.Fatal(mail.ExitPermanent, "only subscribers can get (#5.7.1)")
	}
	return nil
}

func (g *getter) digHeaders() error {
	lines, err := g.l.Lines("digheaders")
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		lines = defaultDigHeaders
	}
	g.headerSet = map[string]bool{}
	for _, h := range lines {
		g.headerSet[strings.ToLower(strings.TrimSuffix(h, ":"))] = true
	}
	return nil
}

// entry is one archived message for a table of contents.
type entry struct {
	n       uint64
	subject string
	hash    string
	author  string
}

// entries lists messages lo to hi that are in the archive, with their
// subjects and authors from the index when there is one.
func (g *getter) entries(lo, hi uint64) ([]entry, error) {
	var out []entry
	idx := map[uint64]entry{}
	for d := lo / 100; d <= hi/100; d++ {
		lines, ok, err := g.l.Index(d * 100)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var cur *entry
		for _, line := range lines {
			line = strings.TrimSuffix(line, "\n")
			if !strings.HasPrefix(line, "\t") {
				num, rest, found := strings.Cut(line, ": ")
				n, err := strconv.ParseUint(num, 10, 64)
				if !found || err != nil || len(rest) < 21 {
					cur = nil
					continue
				}
				e := entry{n: n, hash: rest[:20], subject: rest[21:]}
				idx[n] = e
				cur = &e
				continue
			}
			if cur != nil {
				if i := strings.IndexByte(line, ';'); i >= 0 && len(line) > i+22 {
					cur.author = line[i+22:]
					idx[cur.n] = *cur
				}
			}
		}
	}
	for n := lo; n <= hi; n++ {
		if e, ok := idx[n]; ok {
			out = append(out, e)
			continue
		}
		f, ok, err := g.l.Archived(n)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		m, err := mail.Read(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		s, _ := m.Field("Subject")
		from, _ := m.Field("From")
		t, _, _ := listdir.TrimSubject(s, "")
		out = append(out, entry{n: n, subject: t, hash: t, author: listdir.AuthorName(from)})
	}
	return out, nil
}

// toc writes the table of contents: each subject once, at its first
// message, with every message of that subject under it.
func toc(b *mail.Builder, es []entry) {
	var order []string
	groups := map[string][]entry{}
	for _, e := range es {
		if _, ok := groups[e.hash]; !ok {
			order = append(order, e.hash)
		}
		groups[e.hash] = append(groups[e.hash], e)
	}
	for _, h := range order {
		g := groups[h]
		subj := g[0].subject
		if subj == "" {
			subj = "(null)"
		}
		b.WriteString("\n" + subj + "\n")
		for _, e := range g {
			b.WriteString("\t" + strconv.FormatUint(e.n, 10) + " by: " + e.author + "\n")
		}
	}
}

// messages writes each archived message as a message/rfc822 part.
func (g *getter) messages(b *mail.Builder, es []entry, listname string) error {
	for _, e := range es {
		f, ok, err := g.l.Archived(e.n)
		if err != nil {
			return mail.Temp(err)
		}
		b.WriteString("\n\n--" + b.Boundary + "\n")
		if !ok {
			cs, _ := b.Charset()
			b.Add("Content-Type", "text/plain; charset="+cs)
			b.WriteString("\n")
			t, _, _ := g.l.Text("get-bad")
			b.Write(t)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(f, mail.MaxMessage))
		f.Close()
		if err != nil {
			return mail.Temp(err)
		}
		m := mail.Split(data)
		b.Add("Content-Type", "message/rfc822")
		b.Add("Content-Disposition", "inline; filename=\""+listname+"_"+strconv.FormatUint(e.n, 10)+".eml\"")
		b.WriteString("\n")
		for _, h := range m.Header {
			name := strings.ToLower(h[:max(0, strings.IndexByte(h, ':'))])
			if g.headerSet[name] {
				b.WriteString(h)
			}
		}
		b.WriteString("\n")
		b.Write(m.Body)
	}
	b.End()
	return nil
}

// digest sends a digest of the messages since the last one.
func (g *getter) digest() error {
	lock, err := g.l.Lock("lock")
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()
	max, cum, err := g.l.Num()
	if err != nil {
		return mail.Temp(err)
	}
	v, _, err := g.l.Line("dignum")
	if err != nil {
		return mail.Temp(err)
	}
	prev, _ := strconv.ParseUint(digits(v), 10, 64)
	lo := prev + 1
	if max == 0 || lo > max {
		return mail.Info(mail.ExitOK, "nothing to digest")
	}
	issue, err := g.l.Uint("digissue", 0)
	if err != nil {
		return mail.Temp(err)
	}
	issue++
	local := g.l.Outlocal + "-digest"
	b := mail.NewBuilder(g.l, local, g.when)
	flags, _ := g.l.Flags()
	s := &listdir.Subst{Local: local, MainLocal: g.l.Outlocal, Host: g.l.Outhost, Num: strconv.FormatUint(lo, 10), Dir: g.l.Dir, Flags: flags}
	if ha, ok, err := g.l.ConfFile("headeradd"); err != nil {
		return mail.Temp(err)
	} else if ok {
		if r, good := s.Render(ha, true); good {
			b.Write(r)
		}
	}
	if err := b.MailingList(); err != nil {
		return mail.Temp(err)
	}
	b.DateMessageID()
	b.From("-help")
	b.WriteString("Delivered-To: responder for " + local + "@" + g.l.Outhost + "\n")
	b.Add("To", mail.QuoteLocal(g.l.Outlocal)+"@"+g.l.Outhost)
	subject := g.l.Outlocal + " Digest " + received.Date822(g.when) + " Issue " + strconv.FormatUint(issue, 10)
	es, err := g.entries(lo, max)
	if err != nil {
		return mail.Temp(err)
	}
	b.Multipart("digest")
	b.Add("Subject", subject)
	if err := b.Part(true); err != nil {
		return mail.Temp(err)
	}
	b.WriteString(subject + "\n\n")
	b.WriteString("Topics (messages " + strconv.FormatUint(lo, 10) + " through " + strconv.FormatUint(max, 10) + ")\n")
	toc(b, es)
	b.WriteString("\nAdministrivia:\n\n")
	if err := b.Text("digest", s); err != nil {
		return err
	}
	b.WriteString("\n")
	if err := g.messages(b, es, g.l.Outlocal); err != nil {
		return err
	}
	var recips []string
	if _, err := g.l.DB("digest").Each(0, listdir.Files-1, func(a string) error { recips = append(recips, a); return nil }); err != nil {
		return mail.Temp(err)
	}
	env := local + "-return-" + strconv.FormatUint(lo, 10) + "-@" + g.l.Outhost + "-@[]"
	qp, err := mail.NewQueue(g.inv).Send(b.Bytes(), env, recips)
	if err != nil {
		return err
	}
	if err := g.l.WriteFile("digissue", strconv.FormatUint(issue, 10)+":0\n", 0o644); err != nil {
		return mail.Temp(err)
	}
	if err := g.l.WriteFile("dignum", strconv.FormatUint(max, 10)+":"+strconv.FormatUint(cum, 10)+":"+strconv.FormatInt(g.when.Unix(), 10)+"\n", 0o644); err != nil {
		return mail.Temp(err)
	}
	return mail.Info(mail.ExitOK, "qp %d", qp)
}

// requestHeader starts an answer to a request: the list's fields, the
// request's Delivered-To and Received fields, To the sender.
func (g *getter) requestHeader() (*mail.Builder, error) {
	b := mail.NewBuilder(g.l, g.l.Outlocal, g.when)
	if err := b.MailingList(); err != nil {
		return nil, mail.Temp(err)
	}
	b.DateMessageID()
	b.From("-help")
	dtline := "Delivered-To: responder for " + g.l.Address() + "\n"
	b.WriteString(dtline)
	for _, h := range g.in.Header {
		switch {
		case mail.Is(h, "Mailing-List"):
			return nil, mail.Fatal(mail.ExitPermanent, "message already has a Mailing-List header (maybe I should be a sublist) (#5.7.2)")
		case h == dtline:
			return nil, mail.Fatal(mail.ExitPermanent, "this message is looping: it already has my Delivered-To line (#5.4.6)")
		case mail.Is(h, "Delivered-To"), mail.Is(h, "Received"):
			b.WriteString(h)
		}
	}
	b.Add("To", mail.QuoteAddress(g.sender))
	return b, nil
}

// bottom is text/bottom and a copy of the request's header.
func (g *getter) bottom(b *mail.Builder, s *listdir.Subst) error {
	if g.omit {
		return nil
	}
	if err := b.Text("bottom", s); err != nil {
		return err
	}
	b.WriteString("Return-Path: <" + mail.QuoteAddress(g.sender) + ">\n")
	for _, h := range g.in.Header {
		b.WriteString(h)
	}
	return nil
}

// rangeOf reads "[.|-|_]N[_M]" after a command word.
func rangeOf(arg string) (lo, hi uint64) {
	arg = strings.TrimLeft(arg, ".-_")
	d := digits(arg)
	lo, _ = strconv.ParseUint(d, 10, 64)
	arg = arg[len(d):]
	if arg != "" {
		hi, _ = strconv.ParseUint(digits(arg[1:]), 10, 64)
	}
	return lo, hi
}

// get answers LIST-get.N_M with messages N to M as a digest.
func (g *getter) get(action string) error {
	max, _, err := g.l.Num()
	if err != nil {
		return mail.Temp(err)
	}
	if max == 0 {
		return mail.Fatal(mail.ExitPermanent, "no messages in archive")
	}
	word := action[:3]
	arg := action[3:]
	if arg != "" && strings.IndexByte("mrvnx", arg[0]) >= 0 {
		arg = arg[1:] // a format letter: quail answers in MIME
	}
	u, to := rangeOf(arg)
	dig, _, err := g.l.Line("dignum")
	if err != nil {
		return mail.Temp(err)
	}
	lastDigest, _ := strconv.ParseUint(digits(dig), 10, 64)
	switch {
	case u == 0 && to == 0:
		to = max
		u = lastDigest
		if u == 0 {
			u = 1
			if max > HistGet {
				u = max - HistGet
			}
		}
		if to-u >= MaxGet {
			u = to - MaxGet + 1
		}
	case u > max:
		if to != 0 {
			to = max
			u = 1
			if lastDigest > HistGet {
				u = lastDigest - HistGet
			}
			if to-u >= MaxGet {
				u = to - MaxGet + 1
			}
		} else {
			u = max
		}
	}
	if u == 0 {
		u = 1
	}
	if to < u {
		to = u
	}
	if to >= u+MaxGet {
		to = u + MaxGet - 1
	}
	if to > max {
		to = max
	}
	b, err := g.requestHeader()
	if err != nil {
		return err
	}
	_ = word
	subject := "ezmlm archive retrieval: " + action
	es, err := g.entries(u, to)
	if err != nil {
		return mail.Temp(err)
	}
	b.Multipart("digest")
	b.Add("Subject", subject)
	if err := b.Part(true); err != nil {
		return mail.Temp(err)
	}
	flags, _ := g.l.Flags()
	s := &listdir.Subst{Local: g.l.Outlocal, MainLocal: g.l.Outlocal, Host: g.l.Outhost, Target: g.sender, Num: strconv.FormatUint(max, 10), Dir: g.l.Dir, Flags: flags}
	b.WriteString(subject + "\n\n")
	b.WriteString("Topics (messages " + strconv.FormatUint(u, 10) + " through " + strconv.FormatUint(to, 10) + ")\n")
	toc(b, es)
	b.WriteString("\nAdministrivia:\n\n")
	if err := g.bottom(b, s); err != nil {
		return err
	}
	if err := g.messages(b, es, g.l.Outlocal); err != nil {
		return err
	}
	qp, err := mail.NewQueue(g.inv).Send(b.Bytes(), g.l.Outlocal+"-return-@"+g.l.Outhost, []string{g.sender})
	if err != nil {
		return err
	}
	return mail.Info(mail.ExitOK, "qp %d", qp)
}

// index answers LIST-index.N_M with the subject index of those
// messages, by hundreds, without the hashes.
func (g *getter) index(action string) error {
	if !g.l.Exists("indexed") {
		return mail.Fatal(mail.ExitPermanent, "Sorry, this list is not indexed (#5.1.1)")
	}
	max, _, err := g.l.Num()
	if err != nil {
		return mail.Temp(err)
	}
	if max == 0 {
		return mail.Fatal(mail.ExitPermanent, "no messages in archive")
	}
	arg := action[5:]
	if arg != "" && strings.IndexByte("mrvnx", arg[0]) >= 0 {
		arg = arg[1:]
	}
	u, to := rangeOf(arg)
	if u == 0 && to == 0 {
		to = max
		if max > 100 {
			u = max - 100
		}
	}
	if u == 0 {
		u = 1
	}
	if u > max {
		u = max
	}
	if to < u {
		to = u
	}
	if to > u+MaxIndex {
		to = u + MaxIndex
	}
	if to > max {
		to = max
	}
	b, err := g.requestHeader()
	if err != nil {
		return err
	}
	if err := b.TextPlain(); err != nil {
		return mail.Temp(err)
	}
	b.Add("Subject", "ezmlm index: "+action)
	b.WriteString("\n")
	for d := u / 100; d <= to/100; d++ {
		lines, ok, err := g.l.Index(d * 100)
		if err != nil {
			return mail.Temp(err)
		}
		if !ok {
			b.WriteString("aaaaaaaaaaaaaaaaaaaa <- subject index not available for message(s) ->\n")
			continue
		}
		for _, line := range lines {
			if !strings.HasPrefix(line, "\t") {
				if num, rest, ok := strings.Cut(line, ": "); ok && len(rest) > 21 {
					line = num + ": " + rest[21:]
				}
			} else if i := strings.IndexByte(line, ';'); i > 15 && len(line) > i+21 && line[i+1] != ' ' {
				// "\tdate;HASH author": the day without the time, then
				// the author, as ezmlm-get shows it.
				line = line[:i-15] + line[i+21:]
			}
			b.WriteString(line)
		}
	}
	flags, _ := g.l.Flags()
	s := &listdir.Subst{Local: g.l.Outlocal, MainLocal: g.l.Outlocal, Host: g.l.Outhost, Target: g.sender, Dir: g.l.Dir, Flags: flags}
	if err := g.bottom(b, s); err != nil {
		return err
	}
	qp, err := mail.NewQueue(g.inv).Send(b.Bytes(), g.l.Outlocal+"-return-@"+g.l.Outhost, []string{g.sender})
	if err != nil {
		return err
	}
	return mail.Info(mail.ExitOK, "qp %d", qp)
}

func digits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
