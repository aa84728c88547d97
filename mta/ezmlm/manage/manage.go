// Package manage is ezmlm-manage(1): it answers the requests mailed to
// LIST-COMMAND@HOST: subscription and unsubscription with a confirmation
// by keyed cookie (LIST-sc.TIME.COOKIE-box=domain@HOST, as ezmlm 0.53
// and ezmlm-idx 7 form it, so that a confirmation asked for before a
// list moved to quail still works), moderated subscription (tc., vc.)
// and remote administration (rc., wc.), help, info, faq, query, get,
// list and listn, for the list and its digest, allow and deny lists.
//
// A cookie is ezmlm's cookie() of the list's key (less one byte for the
// digest, two for allow, three for deny), the time, the target address
// and the action letter; a confirmation is good for 1,000,000 seconds
// (about 11.6 days).
package manage

import (
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/command"
	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

const usage = "[-aAbBcCdDeEfFlLmMnNqQsSuUvV] dir"

// Lifetime is how long a confirmation cookie is good.
const Lifetime = 1000000

type options struct {
	omitBottom bool
	get        bool // -c (default): answer -get
	list       int  // -l: moderators may -list; -1 unset (dir/modcanlist)
	unsubIsMod bool // -m
	notify     bool // -n (default): tell the subscriber
	copyOwner  int  // -Q: 1 tell the owner of failures, 2 of all
	subConf    int  // -s/-S, -1 unset (dir/nosubconfirm)
	unsubConf  int  // -u/-U, -1 unset (dir/nounsubconfirm)
}

// Main is ezmlm-manage.
func Main(inv *cli.Invocation) int {
	o := options{get: true, list: -1, notify: true, subConf: -1, unsubConf: -1}
	p := getopt.New(inv.Args, "aAbBcCdDeEfFlLmMnNqQsSuUvV")
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
			o.omitBottom = false
		case 'B':
			o.omitBottom = true
		case 'c':
			o.get = true
		case 'C':
			o.get = false
		case 'l':
			o.list = 1
		case 'L':
			o.list = 0
		case 'm':
			o.unsubIsMod = true
		case 'M':
			o.unsubIsMod = false
		case 'n':
			o.notify = true
		case 'N':
			o.notify = false
		case 'q':
			o.copyOwner = 0
		case 'Q':
			o.copyOwner++
		case 's':
			o.subConf = 1
		case 'S':
			o.subConf = 0
		case 'u':
			o.unsubConf = 1
		case 'U':
			o.unsubConf = 0
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	r := &request{inv: inv, o: o, when: time.Now()}
	return mail.Report(inv, r.run(rest[0]))
}

type request struct {
	inv  *cli.Invocation
	o    options
	when time.Time
	l    *listdir.List
	key  []byte
	base command.Base
	db   *listdir.DB

	sender, target string
	local          string // outlocal, with -digest for the digest list
	moddir         string // "" without modsub or remote
	ismod          bool
	mod            string // the moderator's address as recorded
	public, remote bool
	modsub         bool

	in     *mail.Message
	b      *mail.Builder
	subst  listdir.Subst
	recips []string
}

func (r *request) run(dir string) error {
	var err error
	if r.l, err = listdir.Open(dir); err != nil {
		return mail.Temp(err)
	}
	if r.key, err = r.l.Key(); err != nil {
		return mail.Temp(err)
	}
	if r.sender, err = mail.CheckRequester(r.inv); err != nil {
		return err
	}
	def, ok := r.inv.Getenv("DEFAULT")
	if !ok {
		return mail.Fatal(mail.ExitPermanent, "DEFAULT not set")
	}
	req, err := command.ParseManage(def)
	if err != nil {
		return mail.Fatal(mail.ExitPermanent, "I do not understand this address (#5.1.1)")
	}
	r.base = req.Base
	r.db = r.l.DB(r.base.Dir())
	r.local = r.l.Outlocal + r.base.Suffix()
	r.target = r.sender
	if req.Target != "" {
		r.target = req.Target
	}
	if err := r.settings(); err != nil {
		return err
	}
	action := req.Action
	lower := strings.ToLower(action)
	// Who the moderator check is about: the sender for requests with
	// secret answers, the target otherwise.
	if r.moddir != "" {
		who := r.target
		switch {
		case lower == "list", lower == "listn", strings.HasPrefix(lower, "get"), lower == "help",
			strings.HasPrefix(lower, "edit"), strings.HasPrefix(lower, "log"):
		default:
			who = r.sender
		}
		if r.base == command.Deny {
			who = r.sender
		}
		rec, is, err := r.l.DB(r.moddir).IsSub(who)
		if err != nil {
			return mail.Temp(err)
		}
		r.ismod, r.mod = is, rec
	}
	if !r.public && !(r.ismod && r.remote) && lower != "help" {
		return mail.Fatal(mail.ExitPermanent, "Sorry, I've been told to reject all requests (#5.7.2)")
	}
	if r.base == command.Deny && !(r.ismod && r.remote) {
		return mail.Fatal(mail.ExitPermanent, "Command allowed only to moderators (#5.7.1)")
	}
	in, err := mail.Read(r.inv.Stdin)
	if err != nil {
		return err
	}
	r.in = in
	r.subst = listdir.Subst{Local: r.local, MainLocal: r.l.Outlocal, Host: r.l.Outhost, Target: r.target, Verp: mail.VERP(r.target), Dir: r.l.Dir}
	if r.subst.Flags, err = r.l.Flags(); err != nil {
		return mail.Temp(err)
	}
	if err := r.headers(lower == "help"); err != nil {
		return err
	}
	c, isConfirm := command.ParseConfirm(action)
	switch {
	case lower == "subscribe":
		err = r.subscribe()
	case lower == "unsubscribe":
		err = r.unsubscribe()
	case isConfirm && c.Kind == 's':
		err = r.confirmSub(c)
	case isConfirm && (c.Kind == 't' || c.Kind == 'r'):
		err = r.moderatorSub(c)
	case isConfirm && c.Kind == 'u':
		err = r.confirmUnsub(c)
	case isConfirm && (c.Kind == 'v' || c.Kind == 'w'):
		err = r.moderatorUnsub(c)
	case lower == "list" || lower == "listn":
		err = r.listing(lower == "listn")
	case strings.HasPrefix(lower, "get"):
		err = r.get(action[3:])
	case strings.HasPrefix(lower, "query"):
		err = r.query()
	case strings.HasPrefix(lower, "info"):
		err = r.simple("Information for", "info", r.target)
	case strings.HasPrefix(lower, "faq"):
		err = r.simple("FAQ for", "faq", r.target)
	case strings.HasPrefix(lower, "log"), strings.HasPrefix(lower, "edit"), strings.HasPrefix(lower, "ed."):
		return mail.Fatal(mail.ExitPermanent, "Command not available (#5.1.1)")
	case r.ismod && lower == "help":
		err = r.modHelp()
	default:
		err = r.help()
	}
	if err != nil {
		return err
	}
	if len(r.recips) == 0 {
		return nil
	}
	qp, err := mail.NewQueue(r.inv).Send(r.b.Bytes(), r.local+"-return-@"+r.l.Outhost, r.recips)
	if err != nil {
		return err
	}
	return mail.Info(mail.ExitOK, "qp %d", qp)
}

// settings reads the list's files that the switches default to.
func (r *request) settings() error {
	r.public = r.l.Exists("public")
	if r.o.subConf < 0 {
		r.o.subConf = 1
		if r.l.Exists("nosubconfirm") {
			r.o.subConf = 0
		}
	}
	if r.o.unsubConf < 0 {
		r.o.unsubConf = 1
		if r.l.Exists("nounsubconfirm") {
			r.o.unsubConf = 0
		}
	}
	if r.o.list < 0 {
		r.o.list = 0
		if r.l.Exists("modcanlist") {
			r.o.list = 1
		}
	}
	if r.l.Exists("omitbottom") {
		r.o.omitBottom = true
	}
	modsub, hasModsub, err := r.l.Line("modsub")
	if err != nil {
		return mail.Temp(err)
	}
	remote, hasRemote, err := r.l.Line("remote")
	if err != nil {
		return mail.Temp(err)
	}
	r.modsub, r.remote = hasModsub, hasRemote
	if hasModsub || hasRemote {
		switch {
		case modsub != "":
			r.moddir = modsub
		case remote != "":
			r.moddir = remote
		default:
			r.moddir = "mod"
		}
	}
	return nil
}

// headers writes what every answer starts with (msg_headers).
func (r *request) headers(help bool) error {
	b := mail.NewBuilder(r.l, r.local, r.when)
	r.b = b
	if err := b.MailingList(); err != nil {
		return mail.Temp(err)
	}
	q := mail.QuoteLocal(r.local)
	b.Add("List-Help", "<mailto:"+q+"-help@"+r.l.Outhost+">")
	b.Add("List-Post", "<mailto:"+q+"@"+r.l.Outhost+">")
	b.Add("List-Subscribe", "<mailto:"+q+"-subscribe@"+r.l.Outhost+">")
	b.DateMessageID()
	if help {
		b.From("-return-") // not -help: an autoresponder answering it loops no further
	} else {
		b.From("-help")
	}
	b.Add("To", mail.QuoteAddress(r.target))
	dtline := "Delivered-To: responder for " + r.local + "@" + r.l.Outhost + "\n"
	b.WriteString(dtline)
	for _, h := range r.in.Header {
		switch {
		case mail.Is(h, "Mailing-List"):
			return mail.Fatal(mail.ExitPermanent, "message already has a Mailing-List header (maybe I should be a sublist) (#5.7.2)")
		case h == dtline:
			return mail.Fatal(mail.ExitPermanent, "this message is looping: it already has my Delivered-To line (#5.4.6)")
		case mail.Is(h, "Delivered-To"), mail.Is(h, "Received"):
			b.WriteString(h)
		}
	}
	if err := b.TextPlain(); err != nil {
		return mail.Temp(err)
	}
	return nil
}

func (r *request) listAddr() string { return r.l.Outlocal + "@" + r.l.Outhost }

// subject ends the header with a Subject.
func (r *request) subject(s string) {
	r.b.Add("Subject", s)
	r.b.WriteString("\n")
}

func (r *request) text(name string) error { return r.b.Text(name, &r.subst) }

// bottom is text/bottom and the copy of the request (copybottom).
func (r *request) bottom(force bool) error {
	if r.o.omitBottom && !force {
		return nil
	}
	if err := r.text("bottom"); err != nil {
		return err
	}
	r.b.WriteString("Return-Path: <" + mail.QuoteAddress(r.sender) + ">\n")
	for _, h := range r.in.Header {
		r.b.WriteString(h)
	}
	n, err := r.l.Uint("copylines", 0)
	if err != nil {
		return mail.Temp(err)
	}
	if n > 0 {
		r.b.WriteString("\n")
		body := r.in.Body
		for ; n > 0 && len(body) > 0; n-- {
			i := strings.IndexByte(string(body), '\n')
			if i < 0 {
				i = len(body) - 1
			}
			r.b.Write(body[:i+1])
			body = body[i+1:]
		}
	}
	return nil
}

func (r *request) modBottom() error {
	if err := r.text("mod-sub"); err != nil {
		return err
	}
	if err := r.text("bottom"); err != nil {
		return err
	}
	r.b.WriteString("\n<suppressed>\n\n")
	return nil
}

// keyFor is the key the cookies of this base are made with.
func (r *request) keyFor() []byte {
	k := r.key
	if n := int(r.base); n <= len(k) {
		k = k[:len(k)-n]
	}
	return k
}

// confirm writes the Reply-To and Subject of a confirmation request of
// kind ('s', 'u', 't', 'v', 'r', 'w') and sets <#R#> (doconfirm).
func (r *request) confirm(kind byte) {
	stamp := strconv.FormatInt(r.when.Unix(), 10)
	c := cookie.Cookie(r.keyFor(), stamp, r.target, kind)
	addr := r.local + "-" + string(kind) + "c." + stamp + "." + c + "-" + mail.VERP(r.target) + "@" + r.l.Outhost
	r.subst.Confirm, r.subst.Cookie, r.subst.When, r.subst.Action = addr, c, stamp, string(kind)+"c."
	r.b.Add("Reply-To", mail.QuoteAddress(addr))
	switch kind {
	case 's':
		r.subject("confirm subscribe to " + r.listAddr())
	case 'u':
		r.subject("confirm unsubscribe from " + r.listAddr())
	case 't', 'r':
		r.subject("CONFIRM subscribe to " + r.listAddr())
	default:
		r.subject("CONFIRM unsubscribe from " + r.listAddr())
	}
}

// cookieOK checks a confirmation against the target and the clock.
func (r *request) cookieOK(c command.Confirm, kind byte) bool {
	now := uint64(r.when.Unix())
	if c.When > now || c.When+Lifetime < now {
		return false
	}
	return cookie.Cookie(r.keyFor(), strconv.FormatUint(c.When, 10), r.target, kind) == c.Cookie
}

// on subscribes the target and writes the answer (geton).
func (r *request) on(event string) (bool, error) {
	added, err := r.db.Add(r.target, event, r.fromField())
	if err != nil {
		return false, err
	}
	if r.base == command.Allow || r.base == command.Deny {
		return added, mail.Info(mail.ExitOK, "Processed SENDER check addition request for: %s", r.target)
	}
	if added {
		r.b.Add("List-Unsubscribe", "<mailto:"+r.local+"-unsubscribe-"+urlEncode(mail.VERP(r.target))+"@"+r.l.Outhost+">")
		r.subject("WELCOME to " + r.listAddr())
		r.subst.Confirm = r.local + "-unsubscribe-" + mail.VERP(r.target) + "@" + r.l.Outhost
		if err := r.text("top"); err != nil {
			return added, err
		}
		return added, r.text("sub-ok")
	}
	r.subject("Already subscribed to " + r.listAddr())
	if err := r.text("top"); err != nil {
		return added, err
	}
	return added, r.text("sub-nop")
}

// off unsubscribes the target and writes the answer (getoff).
func (r *request) off(event string) (bool, error) {
	removed, err := r.db.Remove(r.target, event)
	if err != nil {
		return false, err
	}
	if r.base == command.Allow || r.base == command.Deny {
		return removed, mail.Info(mail.ExitOK, "Processed SENDER check removal request for: %s", r.target)
	}
	if removed {
		r.subject("GOODBYE from " + r.listAddr())
		if err := r.text("top"); err != nil {
			return removed, err
		}
		return removed, r.text("unsub-ok")
	}
	r.subject("Not subscribed to " + r.listAddr())
	if err := r.text("top"); err != nil {
		return removed, err
	}
	return removed, r.text("unsub-nop")
}

func (r *request) fromField() string {
	v, _ := r.in.Field("From")
	return v
}

func (r *request) to(addrs ...string) { r.recips = append(r.recips, addrs...) }

func (r *request) owner() { r.to(r.l.Outlocal + "-owner@" + r.l.Outhost) }

func (r *request) isSub() (bool, error) {
	_, is, err := r.db.IsSub(r.target)
	return is, err
}

func (r *request) subscribe() error {
	is, err := r.isSub()
	if err != nil {
		return mail.Temp(err)
	}
	switch {
	case is:
		if _, err := r.on("+"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.target)
	case r.ismod && r.remote:
		r.confirm('r')
		if err := r.textTop("mod-sub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.mod)
	case r.o.subConf != 0:
		r.confirm('s')
		if err := r.textTop("sub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.target)
	case r.modsub:
		r.confirm('t')
		if err := r.textTop("mod-sub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		return r.toModerators()
	default:
		added, err := r.on("+")
		if err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		if r.o.notify {
			r.to(r.target)
		}
		if added && r.o.copyOwner > 1 {
			r.owner()
		}
	}
	return nil
}

// textTop writes text/top and a text.
func (r *request) textTop(name string) error {
	if err := r.text("top"); err != nil {
		return err
	}
	return r.text(name)
}

func (r *request) toModerators() error {
	_, err := r.l.DB(r.moddir).Each(0, listdir.Files-1, func(a string) error { r.to(a); return nil })
	if err != nil {
		return mail.Temp(err)
	}
	return nil
}

func (r *request) confirmSub(c command.Confirm) error {
	if !r.cookieOK(c, 's') {
		r.confirm('s')
		if err := r.textTop("sub-bad"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.target)
		return nil
	}
	if r.modsub && !(r.ismod && r.sender == r.target) {
		r.confirm('t')
		if err := r.textTop("mod-sub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		return r.toModerators()
	}
	added, err := r.on("+")
	if err != nil {
		return err
	}
	if err := r.bottom(false); err != nil {
		return err
	}
	r.to(r.target)
	if added && r.o.copyOwner > 1 {
		r.owner()
	}
	return nil
}

func (r *request) moderatorSub(c command.Confirm) error {
	if !r.cookieOK(c, c.Kind) {
		if !r.ismod || !r.remote {
			return mail.Fatal(mail.ExitPermanent, "Illegal or outdated moderator request (#5.7.1)")
		}
		r.confirm(c.Kind)
		if err := r.textTop("sub-bad"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.mod)
		return nil
	}
	event := "+"
	if c.Kind == 'r' {
		event = "+mod"
	}
	added, err := r.on(event)
	if err != nil {
		return err
	}
	if err := r.modBottom(); err != nil {
		return err
	}
	if r.o.notify {
		r.to(r.target)
	}
	if added && r.o.copyOwner > 1 {
		r.owner()
	}
	return nil
}

func (r *request) unsubscribe() error {
	is, err := r.isSub()
	if err != nil {
		return mail.Temp(err)
	}
	switch {
	case !is:
		if _, err := r.off("-"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.target)
	case r.o.unsubConf != 0 && r.ismod && r.remote:
		r.confirm('w')
		if err := r.textTop("mod-unsub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.mod)
	case r.o.unsubConf != 0:
		r.confirm('u')
		if err := r.textTop("unsub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.target)
	case r.o.unsubIsMod && r.modsub:
		r.confirm('v')
		if err := r.textTop("mod-unsub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		return r.toModerators()
	default:
		removed, err := r.off("-")
		if err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		if !removed || r.o.notify {
			r.to(r.target)
		}
		if r.o.copyOwner > 0 && (!removed || r.o.copyOwner > 1) {
			r.owner()
		}
	}
	return nil
}

func (r *request) confirmUnsub(c command.Confirm) error {
	if !r.cookieOK(c, 'u') {
		r.confirm('u')
		if err := r.textTop("unsub-bad"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.target)
		return nil
	}
	if r.o.unsubIsMod && r.modsub {
		r.confirm('v')
		if err := r.textTop("mod-unsub-confirm"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		return r.toModerators()
	}
	removed, err := r.off("-")
	if err != nil {
		return err
	}
	if err := r.bottom(false); err != nil {
		return err
	}
	if !removed || r.o.notify {
		r.to(r.target)
	}
	if r.o.copyOwner > 0 && (!removed || r.o.copyOwner > 1) {
		r.owner()
	}
	return nil
}

func (r *request) moderatorUnsub(c command.Confirm) error {
	if !r.cookieOK(c, c.Kind) {
		if !r.ismod || !r.remote {
			return mail.Fatal(mail.ExitPermanent, "Illegal or outdated moderator request (#5.7.1)")
		}
		r.confirm(c.Kind)
		if err := r.textTop("unsub-bad"); err != nil {
			return err
		}
		if err := r.bottom(false); err != nil {
			return err
		}
		r.to(r.mod)
		return nil
	}
	event := "-"
	if c.Kind == 'w' {
		event = "-mod"
	}
	removed, err := r.off(event)
	if err != nil {
		return err
	}
	if !removed && r.modsub {
		return mail.Info(mail.ExitOK, "target is not a subscriber")
	}
	if err := r.modBottom(); err != nil {
		return err
	}
	if removed {
		if r.o.notify {
			r.to(r.target)
		}
		if r.o.copyOwner > 1 {
			r.owner()
		}
	} else {
		r.to(r.sender)
	}
	return nil
}

func (r *request) listing(countOnly bool) error {
	if r.o.list == 0 || r.moddir == "" {
		return mail.Fatal(mail.ExitPermanent, "Command not available (#5.1.1)")
	}
	if !r.ismod {
		return mail.Fatal(mail.ExitPermanent, "Command allowed only to moderators (#5.7.1)")
	}
	r.subject("Subscriber list for " + r.listAddr())
	if err := r.text("top"); err != nil {
		return err
	}
	if !countOnly {
		r.b.WriteString("\nSubscribers to this list are:\n\n")
	}
	n, err := r.db.Each(0, listdir.Files-1, func(a string) error {
		if !countOnly {
			r.b.WriteString(a + "\n")
		}
		return nil
	})
	if err != nil {
		return mail.Temp(err)
	}
	r.b.WriteString("\n  ======> " + strconv.Itoa(n) + "\n")
	if err := r.bottom(false); err != nil {
		return err
	}
	r.to(r.mod)
	return nil
}

// get answers LIST-get.N with archived message N, quoted (do_get).
func (r *request) get(arg string) error {
	if !r.o.get {
		return mail.Fatal(mail.ExitPermanent, "Command not available (#5.1.1)")
	}
	r.subject("ezmlm archive retrieval")
	if err := r.text("top"); err != nil {
		return err
	}
	arg = strings.TrimLeft(arg, "._")
	n, _ := strconv.ParseUint(leadingDigits(arg), 10, 64)
	f, ok, err := r.l.Archived(n)
	if err != nil {
		return mail.Temp(err)
	}
	if !ok {
		if err := r.text("get-bad"); err != nil {
			return err
		}
	} else {
		data, err := readAll(f)
		f.Close()
		if err != nil {
			return mail.Temp(err)
		}
		r.b.WriteString("> ")
		r.b.WriteString(strings.ReplaceAll(string(data), "\n", "\n> "))
		r.b.WriteString("\n")
	}
	if err := r.bottom(false); err != nil {
		return err
	}
	r.to(r.target)
	return nil
}

func (r *request) query() error {
	r.subject("Subscription status on " + r.listAddr())
	is, err := r.isSub()
	if err != nil {
		return mail.Temp(err)
	}
	name := "unsub-nop"
	if is {
		name = "sub-nop"
	}
	if err := r.textTop(name); err != nil {
		return err
	}
	if err := r.bottom(false); err != nil {
		return err
	}
	if r.ismod {
		r.to(r.mod)
	} else {
		r.to(r.target)
	}
	return nil
}

func (r *request) simple(subject, text, to string) error {
	r.subject(subject + " " + r.listAddr())
	if err := r.textTop(text); err != nil {
		return err
	}
	if err := r.bottom(false); err != nil {
		return err
	}
	r.to(to)
	return nil
}

func (r *request) modHelp() error {
	r.subject("Moderator help for " + r.listAddr())
	if err := r.textTop("mod-help"); err != nil {
		return err
	}
	if err := r.text("help"); err != nil {
		return err
	}
	if err := r.bottom(false); err != nil {
		return err
	}
	r.to(r.mod)
	return nil
}

func (r *request) help() error {
	r.subject("ezmlm response")
	if err := r.textTop("help"); err != nil {
		return err
	}
	if err := r.bottom(true); err != nil {
		return err
	}
	r.to(r.sender)
	return nil
}

// urlEncode escapes what a sender could put into the mailto: of a
// List-Unsubscribe field, as geton: "?;<>&/:%+# and blanks, control
// and 8-bit bytes as %XX.
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte("\"?;<>&/:%+#", c) >= 0 || c <= ' ' || c >= 0x80 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
