package bounce

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

// DefaultTimeout is how long a bounce waits before ezmlm-warn acts on
// it: 1,000,000 seconds (ezmlm-idx's BOUNCE_TIMEOUT).
const DefaultTimeout = 1000000 * time.Second

type warnOptions struct {
	digest  int // -1 both (the digest only if the list has one), 0 -D, 1 -d
	lockout time.Duration
	timeout time.Duration
}

// Warn is ezmlm-warn.
func Warn(inv *cli.Invocation) int {
	const usage = "[-dD] [-l secs] [-t days] dir"
	o := warnOptions{digest: -1, timeout: DefaultTimeout, lockout: -1}
	p := getopt.New(inv.Args, "dDl:t:vV")
	for {
		c, arg, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'd':
			o.digest = 1
		case 'D':
			o.digest = 0
		case 'l':
			n, _ := strconv.ParseUint(arg, 10, 32)
			o.lockout = time.Duration(n) * time.Second
		case 't':
			n, _ := strconv.ParseUint(arg, 10, 32)
			o.timeout = time.Duration(n) * 24 * time.Hour
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	return mail.Report(inv, doWarn(inv, rest[0], o, time.Now()))
}

func doWarn(inv *cli.Invocation, dir string, o warnOptions, now time.Time) error {
	l, err := listdir.Open(dir)
	if err != nil {
		return mail.Temp(err)
	}
	if l.Exists("nowarn") {
		return nil
	}
	w := &warner{inv: inv, l: l, o: o, now: now}
	if w.key, err = l.Key(); err != nil {
		return mail.Temp(err)
	}
	switch o.digest {
	case -1:
		if err := w.dir(false); err != nil {
			return err
		}
		if l.Exists("digest") {
			return w.dir(true)
		}
		return nil
	default:
		return w.dir(o.digest == 1)
	}
}

type warner struct {
	inv   *cli.Invocation
	l     *listdir.List
	o     warnOptions
	now   time.Time
	key   []byte
	work  string
	local string
	db    *listdir.DB
	sent  int
}

func (w *warner) path(elem ...string) string {
	return w.l.Path(filepath.Join(append([]string{w.work, "bounce"}, elem...)...))
}

// dir goes through one bounce directory (dodir).
func (w *warner) dir(digest bool) error {
	w.work, w.local = ".", w.l.Outlocal
	if digest {
		w.work, w.local = "digest", w.l.Outlocal+"-digest"
	}
	w.db = w.l.DB(w.work)
	when := uint64(w.now.Unix())
	timeout := uint64(w.o.timeout / time.Second)
	lockout := uint64(0)
	if w.o.lockout >= 0 {
		lockout = uint64(w.o.lockout / time.Second)
	}
	if lockout == 0 {
		lockout = timeout / 50
	}
	if b, err := os.ReadFile(w.path("lastd")); err == nil {
		ld, _ := strconv.ParseUint(digits(string(b)), 10, 64)
		if ld+lockout > when && ld < when {
			return nil // looked not long ago
		}
	} else if !os.IsNotExist(err) {
		return mail.Temp(djberr.Wrap("unable to read "+w.path("lastd"), err))
	}
	lock, err := w.l.Lock(filepath.Join(w.work, "lockbounce"))
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()
	days, err := os.ReadDir(w.path("d"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return mail.Temp(djberr.Wrap("unable to open "+w.path("d"), err))
	}
	for _, d := range days {
		day, _ := strconv.ParseUint(digits(d.Name()), 10, 64)
		if timeout != 0 {
			day++ // the whole of the day's directory must be old enough
		}
		if when < day*10000+timeout {
			continue
		}
		sub := w.path("d", d.Name())
		if !d.IsDir() {
			os.Remove(sub) // a leftover DAY_dSEC file
			continue
		}
		files, err := os.ReadDir(sub)
		if err != nil {
			return mail.Temp(djberr.Wrap("unable to open "+sub, err))
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Name() < files[j].Name() })
		for _, f := range files {
			p := filepath.Join(sub, f.Name())
			switch f.Name()[0] {
			case 'd', 'w':
				if err := w.notify(p, f.Name()[0] == 'w', digest); err != nil {
					return err
				}
			default:
				if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
					return mail.Temp(djberr.Wrap("unable to delete "+p, err))
				}
			}
		}
		if err := os.Remove(sub); err != nil && !os.IsNotExist(err) {
			return mail.Temp(djberr.Wrap("unable to delete "+sub, err))
		}
	}
	if err := os.MkdirAll(w.path(), 0o755); err != nil {
		return mail.Temp(djberr.Wrap("unable to create "+w.path(), err))
	}
	if err := listdir.WriteAtomic(w.path("lastd"), w.path("lastD"), []byte(strconv.FormatUint(when, 10)+"\n"), 0o644); err != nil {
		return mail.Temp(err)
	}
	return w.cleanHashes(timeout)
}

// cleanHashes removes, one hash directory a turn (bounce/lasth names
// the last one), the message lists older than three timeouts, at most
// once in 100,000 seconds.
func (w *warner) cleanHashes(timeout uint64) error {
	when := w.now.Unix()
	if st, err := os.Stat(w.path("lasth")); err == nil {
		if m := st.ModTime().Unix(); when < m+100000 && when > m {
			return nil
		}
	}
	c := byte('a')
	if b, err := os.ReadFile(w.path("lasth")); err == nil && len(b) > 0 && b[0] >= 'a' && b[0] <= 'o' {
		c = b[0] + 1
	}
	hdir := w.path("h", string(rune(c)))
	if ents, err := os.ReadDir(hdir); err == nil {
		for _, e := range ents {
			p := filepath.Join(hdir, e.Name())
			if st, err := os.Stat(p); err == nil && uint64(when) > uint64(st.ModTime().Unix())+3*timeout {
				os.Remove(p)
			}
		}
	}
	os.WriteFile(w.path("lasth"), []byte{c, '\n'}, 0o644) // as ezmlm-warn: no loss if it fails
	return nil
}

// notify sends the warning (for a d file) or the probe (for a w file)
// that a stored bounce calls for, then removes the file and, after a
// warning, the address's list of bounced messages (doit).
func (w *warner) notify(p string, probe, digest bool) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return mail.Temp(djberr.Wrap("unable to read "+p, err))
	}
	nul := bytes.IndexByte(data, 0)
	if nul < 0 {
		return nil // not complete: left alone, as ezmlm-warn leaves it
	}
	addr, bounce := string(data[:nul]), data[nul+1:]
	if _, is, err := w.db.IsSub(addr); err != nil {
		return mail.Temp(err)
	} else if !is {
		os.Remove(p)
		return nil
	}
	h := cookie.Cookie(nil, "", addr, 0)
	hfile := w.path("h", h[:1], "h"+h[1:])
	b := mail.NewBuilder(w.l, w.local, w.now.Add(time.Duration(w.sent)*time.Second))
	w.sent++
	if err := b.MailingList(); err != nil {
		return mail.Temp(err)
	}
	b.DateMessageID()
	b.From("-help")
	b.Add("To", mail.QuoteAddress(addr))
	if err := b.TextPlain(); err != nil {
		return mail.Temp(err)
	}
	subject := "Warning from " + w.l.Address()
	if probe {
		subject = "Probe from " + w.l.Address()
	}
	b.Add("Subject", subject)
	b.WriteString("\n")
	flags, err := w.l.Flags()
	if err != nil {
		return mail.Temp(err)
	}
	s := &listdir.Subst{Local: w.local, MainLocal: w.l.Outlocal, Host: w.l.Outhost, Target: addr, Verp: verpFirst(addr), Dir: w.l.Dir, Flags: flags}
	if err := b.Text("top", s); err != nil {
		return err
	}
	if probe {
		if err := b.Text("bounce-probe", s); err != nil {
			return err
		}
	} else {
		if err := b.Text("bounce-warn", s); err != nil {
			return err
		}
		name := "bounce-num"
		if digest {
			name = "dig-bounce-num"
		}
		if err := b.Text(name, s); err != nil {
			return err
		}
		nums, err := os.ReadFile(hfile)
		if err != nil && !os.IsNotExist(err) {
			return mail.Temp(djberr.Wrap("unable to open "+hfile, err))
		}
		b.Write(nums)
	}
	if err := b.Text("bounce-bottom", s); err != nil {
		return err
	}
	b.Write(bounce)
	stamp := strconv.FormatInt(w.now.Unix(), 10)
	action, kind := byte('W'), "-return-warn-"
	if probe {
		action, kind = 'P', "-return-probe-"
	}
	sender := w.local + kind + stamp + "." + cookie.Cookie(w.key, stamp, addr, action) + "-" + verpFirst(addr) + "@" + w.l.Outhost
	qp, err := mail.NewQueue(w.inv).Send(b.Bytes(), sender, []string{addr})
	if err != nil {
		return err
	}
	w.inv.Stderr.Write([]byte(w.inv.Name + ": info: qp " + strconv.Itoa(qp) + "\n"))
	if !probe {
		if err := os.Remove(hfile); err != nil && !os.IsNotExist(err) {
			return mail.Temp(djberr.Wrap("unable to delete "+hfile, err))
		}
	}
	if err := os.Remove(p); err != nil {
		return mail.Temp(djberr.Wrap("unable to delete "+p, err))
	}
	return nil
}

// verpFirst is the address with its first '@' made '=', as ezmlm-warn
// writes it into the warning's return address.
func verpFirst(addr string) string {
	if i := strings.IndexByte(addr, '@'); i >= 0 {
		return addr[:i] + "=" + addr[i+1:]
	}
	return addr
}

func digits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
