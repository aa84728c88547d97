// Package moderate is message moderation of an ezmlm list: ezmlm-store
// keeps a post in mod/pending/TIME.PID and asks the moderators to
// accept it (LIST-accept-TIME.PID.COOKIE@HOST) or reject it
// (LIST-reject-TIME.PID.COOKIE@HOST); ezmlm-moderate acts on their
// replies, handing an accepted post to ezmlm-send and returning a
// rejected one with the moderator's comment; ezmlm-clean returns posts
// no one acted on in time (dir/modtime hours, 120 by default, within
// 24 to 240) and forgets old decisions. The cookie is ezmlm's of the
// list's key and TIME.PID with the action letter 'a', as ezmlm-idx 7
// makes it, so that moderation requests sent before a move still work.
//
// A stored post starts with "Return-Path: <sender>" and "Delivered-To:
// moderator for LIST@HOST"; its mode says its state (ezmlm-idx's
// MODE_MOD_MSG 0700 once complete): ezmlm-clean leaves a file without
// the owner's write bit alone and returns only those with the execute
// bit.
package moderate

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
	"github.com/quail-mta/quail/mta/ezmlm/post"
)

// sendArgs collects the -c -C -r -R switches passed on to ezmlm-send.
type sendArgs []string

func (s *sendArgs) add(c byte) { *s = append(*s, "-"+string(c)) }

// runSend runs ezmlm-send's code on the list for a post read from in,
// with sender as $SENDER, and returns its exit code: ezmlm-store
// without moderation and ezmlm-moderate on an accepted post (ezmlm's
// wrap_execbin of ezmlm-send, here in the same process).
func runSend(inv *cli.Invocation, dir string, opts sendArgs, in *os.File, sender *string) int {
	env := inv.Env
	if sender != nil {
		env = cli.Setenv(env, "SENDER", *sender)
	}
	args := append(append([]string{"ezmlm-send"}, opts...), dir)
	return post.Main(&cli.Invocation{Name: "ezmlm-send", Args: args, Env: env, Stdin: in, Stdout: inv.Stdout, Stderr: inv.Stderr})
}

// Store is ezmlm-store.
func Store(inv *cli.Invocation) int {
	const usage = "[-bBcCmMpPrRsSvV] dir"
	body, mime, self := true, true, false
	postOnly := -1
	var opts sendArgs
	p := getopt.New(inv.Args, "bBcCmMpPrRsSyYvV")
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
			body = true
		case 'B':
			body = false
		case 'm':
			mime = true
		case 'M':
			mime = false
		case 'p':
			postOnly = 0
		case 'P':
			postOnly = 1
		case 's':
			self = true
		case 'S':
			self = false
		case 'c', 'C', 'r', 'R':
			opts.add(c)
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	dir := rest[0]
	l, err := listdir.Open(dir)
	if err != nil {
		return mail.Report(inv, mail.Temp(err))
	}
	sender, haveSender := mail.Sender(inv)
	if haveSender && (sender == "" || sender == "#@[]") {
		return mail.Report(inv, mail.Fatal(mail.ExitPermanent, "I do not distribute bounce messages (#5.7.2)"))
	}
	moddir, moderated, err := l.Line("modpost")
	if err != nil {
		return mail.Report(inv, mail.Temp(err))
	}
	if !moderated {
		return runSend(inv, dir, opts, inv.Stdin, nil)
	}
	if moddir == "" {
		moddir = "mod"
	}
	if postOnly < 0 {
		postOnly = 0
		if l.Exists("modpostonly") {
			postOnly = 1
		}
	}
	s := &storer{inv: inv, l: l, sender: sender, haveSender: haveSender, moddir: moddir, body: body, mime: mime, self: self, postOnly: postOnly == 1}
	return mail.Report(inv, s.run())
}

type storer struct {
	inv              *cli.Invocation
	l                *listdir.List
	sender           string
	haveSender       bool
	moddir           string
	body, mime, self bool
	postOnly         bool
}

// Action is a moderation address: LOCAL-accept-BASE.COOKIE@HOST.
func Action(l *listdir.List, key []byte, accept bool, base string) string {
	word := "-reject-"
	if accept {
		word = "-accept-"
	}
	return mail.QuoteLocal(l.Outlocal) + word + base + "." + cookie.Cookie(key, base, "", 'a') + "@" + l.Outhost
}

func (s *storer) run() error {
	key, err := s.l.Key()
	if err != nil {
		return mail.Temp(err)
	}
	ismod, mod := false, ""
	if s.haveSender {
		rec, is, err := s.l.DB(s.moddir).IsSub(s.sender)
		if err != nil {
			return mail.Temp(err)
		}
		ismod, mod = is, rec
	}
	if !ismod && s.postOnly {
		return mail.Fatal(mail.ExitPermanent, "I'm sorry, you are not allowed to post messages to this list (#5.7.2)")
	}
	lock, err := s.l.Lock("mod/lock")
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()
	dtline := "Delivered-To: moderator for " + s.l.Address() + "\n"
	rp := "Return-Path: <" + strings.Map(func(r rune) rune {
		if r == '\n' || r == 0 {
			return '_'
		}
		return r
	}, s.sender) + ">\n"
	var base, name string
	var when time.Time
	for i := 0; ; i++ {
		when = time.Now()
		base = strconv.FormatInt(when.Unix(), 10) + "." + strconv.Itoa(os.Getpid())
		name = s.l.Path(filepath.Join("mod", "pending", base))
		if _, err := os.Stat(name); os.IsNotExist(err) {
			break
		}
		if i == 2 {
			return mail.Fatal(mail.ExitTemporary, "unable to create unique message file name")
		}
		time.Sleep(2 * time.Second) // the name has the time in seconds: the next second frees it
	}
	in, err := mail.Read(s.inv.Stdin)
	if err != nil {
		return err
	}
	for _, h := range in.Header {
		if h == dtline {
			return mail.Fatal(mail.ExitPermanent, "this message is looping: it already has my Delivered-To line (#5.4.6)")
		}
		if mail.Is(h, "Mailing-List") {
			return mail.Fatal(mail.ExitPermanent, "message already has a Mailing-List header (maybe I should be a sublist) (#5.7.2)")
		}
	}
	accept, reject := Action(s.l, key, true, base), Action(s.l, key, false, base)
	b := mail.NewBuilder(s.l, s.l.Outlocal, when)
	if err := b.MailingList(); err != nil {
		return mail.Temp(err)
	}
	b.DateMessageID()
	b.Add("From", reject)
	b.Add("Reply-To", accept)
	b.Add("To", "<"+mail.QuoteLocal(s.l.Outlocal)+"-moderators@"+s.l.Outhost+">")
	b.Add("Subject", "MODERATE for "+s.l.Address())
	flags, err := s.l.Flags()
	if err != nil {
		return mail.Temp(err)
	}
	subst := &listdir.Subst{Local: s.l.Outlocal, MainLocal: s.l.Outlocal, Host: s.l.Outhost, Target: accept, Confirm: reject,
		Action: "accept-", When: strconv.FormatInt(when.Unix(), 10), Dir: s.l.Dir, Flags: flags}
	if s.mime {
		b.Multipart("mixed")
		if err := b.Part(true); err != nil {
			return mail.Temp(err)
		}
	} else {
		b.WriteString("\n\n")
	}
	if err := b.Text("mod-request", subst); err != nil {
		return err
	}
	if s.mime {
		if err := b.Part(false); err != nil {
			return mail.Temp(err)
		}
	}
	b.WriteString(rp + dtline)
	for _, h := range in.Header {
		b.WriteString(h)
	}
	if s.body {
		b.WriteString("\n")
		b.Write(in.Body)
	}
	if s.mime {
		b.End()
	}
	stored := append([]byte(rp+dtline), in.Raw...)
	if err := writeStored(name, stored); err != nil {
		return mail.Temp(err)
	}
	lock.Unlock()
	var recips []string
	switch {
	case ismod:
		recips = []string{mod}
	default:
		db := s.l.DB(s.moddir)
		if s.self {
			db = s.l.DB("mod")
		}
		if _, err := db.Each(0, listdir.Files-1, func(a string) error { recips = append(recips, a); return nil }); err != nil {
			return mail.Temp(err)
		}
	}
	qp, err := mail.NewQueue(s.inv).Send(b.Bytes(), s.l.Outlocal+"-return-@"+s.l.Outhost, recips)
	if err != nil {
		return err
	}
	return mail.Info(mail.ExitOK, "qp %d", qp)
}

// writeStored writes a post into the moderation queue: fsync'd, then
// mode 0700, the mark of a complete file.
func writeStored(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return djberr.Wrap("unable to write "+name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(0o700)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return djberr.Wrap("unable to write "+name, err)
	}
	if err := durable.SyncDir(filepath.Dir(name)); err != nil {
		return djberr.Wrap("unable to sync "+filepath.Dir(name), err)
	}
	return nil
}
