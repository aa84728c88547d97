// Package post is ezmlm-send(1): it sends a post to every subscriber
// of a list with the list's header fields, keeps it in the archive
// under its number, and updates the subject index.
//
// The outgoing message is, in order: Mailing-List and List-ID (not for
// a sublist), the list's headeradd fields (<#n#> the message number),
// "Delivered-To: mailing list LIST@HOST", then the post's header less
// the headerremove fields (or only the headerkeep fields) and less its
// Received fields but the first (all with -R), its Subject behind the
// list's prefix, then its body and text/trailer. The archived copy
// starts with Return-Path, then the Delivered-To line and the post with
// every Received field, without the list's fields, prefix or trailer.
// The envelope sender is LIST-return-N-@HOST-@[], which qmail-send
// turns into LIST-return-N-box=domain@HOST for each subscriber
// (qmail-send(8), VERP), so that ezmlm-return learns which address
// bounced which message.
package post

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

const usage = "[-cClLqQrR] [-h header] [-s lo:hi] dir"

// Main is ezmlm-send.
func Main(inv *cli.Invocation) int {
	s := &sender{inv: inv, lo: 0, hi: listdir.Files - 1, noReceived: true}
	p := getopt.New(inv.Args, "cCh:H:lLqQrRs:S:vV")
	for {
		c, arg, more, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !more {
			break
		}
		switch c {
		case 'r':
			s.noReceived = true
		case 'R':
			s.noReceived = false
		case 'h', 'H':
			s.mlheader, _, _ = strings.Cut(arg, ":")
		case 's', 'S':
			lo, hi, _ := strings.Cut(arg, ":")
			s.lo, _ = strconv.Atoi(lo)
			if hi != "" {
				s.hi, _ = strconv.Atoi(hi)
			}
			if s.hi > listdir.Files-1 {
				s.hi = listdir.Files - 1
			}
			if s.lo > s.hi {
				s.lo = s.hi
			}
		}
	}
	rest := p.Rest()
	if len(rest) < 1 {
		return inv.Usage(usage)
	}
	s.dir = rest[0]
	return mail.Report(inv, s.run())
}

type sender struct {
	inv        *cli.Invocation
	dir        string
	noReceived bool
	mlheader   string
	lo, hi     int
}

func (s *sender) run() error {
	l, err := listdir.Open(s.dir)
	if err != nil {
		return mail.Temp(err)
	}
	envSender, haveSender := mail.Sender(s.inv)
	lock, err := l.Lock("lock")
	if err != nil {
		return mail.Temp(err)
	}
	defer lock.Unlock()

	archived := l.Exists("archived")
	indexed := l.Exists("indexed")
	prefix, prefixed, err := l.Line("prefix")
	if err != nil {
		return mail.Temp(err)
	}
	trailer := l.Exists("addtrailer") || l.Exists("text/trailer")
	num, cum, err := l.Num()
	if err != nil {
		return mail.Temp(err)
	}
	sublist, isSublist, err := l.Line("sublist")
	if err != nil {
		return mail.Temp(err)
	}
	remove, keep, err := headerRules(l)
	if err != nil {
		return mail.Temp(err)
	}
	dtline := "Delivered-To: mailing list " + l.Address() + "\n"
	if haveSender {
		if envSender == "" || envSender == "#@[]" {
			return mail.Fatal(mail.ExitPermanent, "I do not distribute bounce messages (#5.7.2)")
		}
		if isSublist && !sublistMatch(sublist, envSender) {
			return mail.Fatal(mail.ExitPermanent, "this message is not from my parent list (#5.7.2)")
		}
	}
	msgnum := num + 1
	in, err := mail.Read(s.inv.Stdin)
	if err != nil {
		return err
	}

	var out, arch bytes.Buffer // the outgoing message and the archived one
	arch.WriteString("Return-Path: <" + strings.ReplaceAll(mail.QuoteAddress(envSender), "\n", "_") + ">\n")
	b := mail.NewBuilder(l, l.Outlocal, time.Now())
	if !isSublist {
		if err := b.MailingList(); err != nil {
			return mail.Temp(err)
		}
	}
	flags, err := l.Flags()
	if err != nil {
		return mail.Temp(err)
	}
	subst := &listdir.Subst{Local: l.Outlocal, MainLocal: l.Outlocal, Host: l.Outhost, Num: strconv.FormatUint(msgnum, 10), Dir: l.Dir, Flags: flags}
	if ha, ok, err := l.ConfFile("headeradd"); err != nil {
		return mail.Temp(err)
	} else if ok {
		r, good := subst.Render(ha, true)
		if !good {
			return mail.Fatal(mail.ExitTemporary, "Sorry, substitution of target addresses into headers with #A# or #t# is unsafe and not permitted.")
		}
		b.Write(r)
	}
	out.Write(b.Bytes())
	out.WriteString(dtline)
	arch.WriteString(dtline)
	listID := l.Exists("listid") && !isSublist

	var subject, from, date string
	sawReceived, sawML := false, false
	for _, h := range in.Header {
		name := h
		if i := strings.IndexByte(h, ':'); i >= 0 {
			name = h[:i]
		}
		var drop bool
		if keep != nil {
			drop = !keep[strings.ToLower(name)]
		} else {
			drop = remove[strings.ToLower(name)]
		}
		archiveOnly := false
		switch {
		case mail.Is(h, "Received"):
			if !sawReceived {
				sawReceived = true
				if i := strings.IndexByte(h, ';'); i >= 0 {
					date = strings.TrimRight(strings.TrimLeft(h[i+1:], " \t"), "\n")
				}
			} else if s.noReceived {
				drop, archiveOnly = true, true
			}
		case mail.Is(h, "Mailing-List"):
			sawML = true
		case s.mlheader != "" && mail.Is(h, s.mlheader):
			sawML = true
		case mail.Is(h, "Subject"):
			subject = mail.Value(h)
			if prefixed && !isSublist {
				drop = true
				archiveOnly = true // the archive keeps the subject as it came
			}
		case listID && mail.Is(h, "List-ID"):
			drop = true
		case mail.Is(h, "From"):
			from = mail.Unfold(mail.Value(h))
		case h == dtline:
			return mail.Fatal(mail.ExitPermanent, "this message is looping: it already has my Delivered-To line (#5.4.6)")
		}
		if !drop {
			out.WriteString(h)
			arch.WriteString(h)
		} else if archiveOnly {
			arch.WriteString(h)
		}
	}
	if prefixed && !isSublist && subject != "" {
		trimmed := subject
		_, _, had := listdir.TrimSubject(mail.Unfold(subject), prefix)
		line := "Subject:"
		if !had {
			p := prefix
			if i := strings.LastIndexByte(p, '#'); i >= 0 {
				p = p[:i] + strconv.FormatUint(msgnum, 10) + p[i+1:]
			}
			line += " " + p
		}
		out.WriteString(line + trimmed)
		if !strings.HasSuffix(trimmed, "\n") {
			out.WriteString("\n")
		}
	}
	if isSublist {
		if !sawML {
			return mail.Fatal(mail.ExitPermanent, "sublist messages must have a Mailing-List header (#5.7.2)")
		}
	} else if sawML {
		return mail.Fatal(mail.ExitPermanent, "message already has a Mailing-List header (maybe I should be a sublist) (#5.7.2)")
	}
	out.WriteString("\n")
	arch.WriteString("\n")
	out.Write(in.Body)
	arch.Write(in.Body)
	if trailer {
		if err := addTrailer(&out, l, subst, in); err != nil {
			return err
		}
	}
	cum0 := cum
	cum += (uint64(len(in.Body)) + 128) >> 8

	if archived {
		if err := s.archive(l, msgnum, arch.Bytes()); err != nil {
			return mail.Temp(err)
		}
		if indexed {
			entry := listdir.IndexEntry(msgnum, mail.Unfold(subject), prefix, date, from)
			if err := l.AddIndex(msgnum, entry); err != nil {
				return mail.Temp(err)
			}
		}
	}
	if err := l.WriteNum(msgnum, cum); err != nil {
		return mail.Temp(err)
	}
	var recips []string
	if _, err := l.DB(".").Each(s.lo, s.hi, func(a string) error { recips = append(recips, a); return nil }); err != nil {
		l.WriteNum(num, cum0)
		return mail.Temp(err)
	}
	env := l.Outlocal + "-return-" + strconv.FormatUint(msgnum, 10) + "-@" + l.Outhost + "-@[]"
	qp, err := mail.NewQueue(s.inv).Send(out.Bytes(), env, recips)
	if err != nil {
		l.WriteNum(num, cum0) // the next post takes this number again
		return err
	}
	return mail.Info(mail.ExitOK, "qp %d", qp)
}

// archive writes the archived copy of message n: safely, then the
// owner's execute bit says it is complete (ezmlm(5)).
func (s *sender) archive(l *listdir.List, n uint64, data []byte) error {
	name := l.Path(listdir.ArchiveName(n))
	dir := l.Path(listdir.ArchiveName(n) + "/..")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return djberr.Wrap("unable to create "+dir, err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return djberr.Wrap("unable to write "+name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(0o744)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return djberr.Wrap("unable to write "+name, err)
	}
	return nil
}

// headerRules are the fields to remove (headerremove) or, when
// headerkeep exists, the only ones to keep; names in lower case.
func headerRules(l *listdir.List) (remove, keep map[string]bool, err error) {
	if l.Exists("headerkeep") {
		lines, err := l.Lines("headerkeep")
		if err != nil {
			return nil, nil, err
		}
		keep = map[string]bool{}
		for _, n := range lines {
			keep[strings.ToLower(strings.TrimSuffix(n, ":"))] = true
		}
		return nil, keep, nil
	}
	lines, err := l.Lines("headerremove")
	if err != nil {
		return nil, nil, err
	}
	remove = map[string]bool{}
	for _, n := range lines {
		remove[strings.ToLower(strings.TrimSuffix(n, ":"))] = true
	}
	return remove, nil, nil
}

// sublistMatch says whether sender comes from the parent list named in
// dir/sublist: its local part starts like the parent's and its host is
// the parent's (case-insensitive); a parent without '@' matches every
// sender long enough.
func sublistMatch(parent, sender string) bool {
	if len(sender) < len(parent) {
		return false
	}
	at := strings.LastIndexByte(parent, '@')
	if at < 0 {
		return true
	}
	if sender[:at] != parent[:at] {
		return false
	}
	return strings.EqualFold(parent[at:], sender[len(sender)-(len(parent)-at):])
}

// addTrailer appends text/trailer: after the body of a single-part
// post, or as a last text/plain part before the closing boundary of a
// multipart/mixed one.
func addTrailer(out *bytes.Buffer, l *listdir.List, subst *listdir.Subst, in *mail.Message) error {
	t, ok, err := l.Text("trailer")
	if err != nil {
		return mail.Temp(err)
	}
	if !ok {
		return nil
	}
	text, _ := subst.Render(t, false)
	ct, _ := in.Field("Content-Type")
	boundary := mimeBoundary(ct)
	if boundary == "" {
		if b := out.Bytes(); len(b) > 0 && b[len(b)-1] != '\n' {
			out.WriteString("\n")
		}
		out.Write(text)
		return nil
	}
	lower := strings.ToLower(ct)
	if !strings.HasPrefix(strings.TrimSpace(lower), "multipart/mixed") {
		return nil
	}
	closing := []byte("\n--" + boundary + "--")
	b := out.Bytes()
	i := bytes.LastIndex(b, closing)
	if i < 0 {
		return nil
	}
	tail := append([]byte(nil), b[i:]...)
	out.Truncate(i)
	fmt.Fprintf(out, "\n--%s\nContent-Type: text/plain; charset=us-ascii\n\n", boundary)
	out.Write(text)
	out.Write(tail)
	return nil
}

// mimeBoundary is the boundary parameter of a Content-Type value.
func mimeBoundary(ct string) string {
	for _, p := range strings.Split(ct, ";")[1:] {
		p = strings.TrimSpace(p)
		if len(p) > 9 && strings.EqualFold(p[:9], "boundary=") {
			v := p[9:]
			if strings.HasPrefix(v, "\"") {
				v = strings.TrimPrefix(v, "\"")
				if j := strings.IndexByte(v, '"'); j >= 0 {
					v = v[:j]
				}
			} else if j := strings.IndexAny(v, " \t"); j >= 0 {
				v = v[:j]
			}
			return v
		}
	}
	return ""
}
