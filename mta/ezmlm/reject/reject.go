// Package reject is ezmlm-reject(1): run first in a list's editor, it
// refuses (exit 100, the text going back to the poster in qmail's
// bounce) a post that is not fit for the list: no subject, a subject
// that is a command ("subscribe", "help" ...), the list's address in
// neither To nor Cc, a body outside dir/msgsize's limits, a header field
// listed in dir/headerreject, a MIME type of dir/mimereject (or, for a
// single-part post, of dir/mimeremove). A post marked "Precedence: bulk"
// or "junk" is dropped quietly (exit 99).
package reject

import (
	"strconv"
	"strings"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/ezmlm/mail"
)

const usage = "[-bBcCfFhHqQsStT] [dir]"

type options struct {
	body          bool // -b: a body starting with (un)subscribe is a command too
	commands      bool // -c (default): refuse command subjects
	headerReject  bool // -h (default)
	quietExit     int  // -q: 99 instead of 100 when the list's address is missing
	needSubject   bool // -s (default)
	needAddressee bool // -t (default): the list must be in To or Cc
}

// Main is ezmlm-reject.
func Main(inv *cli.Invocation) int {
	o := options{commands: true, headerReject: true, quietExit: mail.ExitPermanent, needSubject: true, needAddressee: true}
	p := getopt.New(inv.Args, "bBcCfFhHqQsStTvV")
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
			o.body = true
		case 'B':
			o.body = false
		case 'c':
			o.commands = true
		case 'C':
			o.commands = false
		case 'h':
			o.headerReject = true
		case 'H':
			o.headerReject = false
		case 'q':
			o.quietExit = mail.ExitSkip
		case 'Q':
			o.quietExit = mail.ExitPermanent
		case 's':
			o.needSubject = true
		case 'S':
			o.needSubject = false
		case 't':
			o.needAddressee = true
		case 'T':
			o.needAddressee = false
		}
	}
	dir := ""
	if rest := p.Rest(); len(rest) > 0 {
		dir = rest[0]
	}
	return mail.Report(inv, check(inv, o, dir))
}

func check(inv *cli.Invocation, o options, dir string) error {
	var l *listdir.List
	if dir != "" {
		var err error
		if l, err = listdir.Open(dir); err != nil {
			return mail.Temp(err)
		}
	} else {
		o.needAddressee = false // without dir there is no list name to look for
	}
	sender, ok := mail.Sender(inv)
	if !ok {
		return mail.Fatal(mail.ExitPermanent, "SENDER not set")
	}
	if sender == "" {
		return mail.Fatal(mail.ExitPermanent, "I do not distribute bounce messages (#5.7.2)")
	}
	var maxSize, minSize uint64
	var reject, remove, headerReject map[string]bool
	if l != nil {
		if v, ok, err := l.Line("msgsize"); err != nil {
			return mail.Temp(err)
		} else if ok {
			a, b, _ := strings.Cut(v, ":")
			maxSize, _ = strconv.ParseUint(leadingDigits(a), 10, 64)
			minSize, _ = strconv.ParseUint(leadingDigits(b), 10, 64)
		}
		var err error
		if reject, err = set(l, "mimereject"); err != nil {
			return mail.Temp(err)
		}
		if remove, err = set(l, "mimeremove"); err != nil {
			return mail.Temp(err)
		}
		if o.headerReject {
			if headerReject, err = set(l, "headerreject"); err != nil {
				return mail.Temp(err)
			}
		}
	}
	m, err := mail.Read(inv.Stdin)
	if err != nil {
		return err
	}
	var to, subject, precedence, ctype string
	for _, h := range m.Header {
		name := strings.ToLower(h[:max(0, strings.IndexByte(h, ':'))])
		if headerReject[name] {
			return mail.Fatal(mail.ExitPermanent, "message already has a Mailing-List header (maybe I should be a sublist) (#5.7.2)")
		}
		switch name {
		case "to", "cc":
			to += mail.Value(h)
		case "subject":
			subject = mail.Unfold(mail.Value(h))
		case "content-type":
			ctype = mail.Unfold(mail.Value(h))
		case "precedence":
			precedence = mail.Unfold(mail.Value(h))
		}
	}
	if p := strings.ToLower(precedence); strings.HasSuffix(p, "junk") || strings.HasSuffix(p, "bulk") {
		return mail.Info(mail.ExitSkip, "Precedence: %s - message ignored", precedence)
	}
	if o.needAddressee && !addressed(to, l.Outlocal, l.Outhost) {
		return mail.Fatal(o.quietExit, "List address must be in To: or Cc: (#5.7.0)")
	}
	subj := strings.ToLower(strings.TrimRight(subject, " \t\n"))
	if o.needSubject {
		switch subj {
		case "", "(null)", "(none)", "(no subject)":
			return mail.Fatal(mail.ExitPermanent, "Sorry, I don't accept messages with an empty Subject (#5.7.0)")
		}
	}
	if o.commands {
		cmd := false
		switch subj {
		case "help", "remove", "subscribe", "unsubscribe":
			cmd = true
		}
		if o.body && (len(subj) > 9 && strings.HasPrefix(subj, "subscribe") || len(subj) > 11 && strings.HasPrefix(subj, "unsubscribe")) {
			cmd = true
		}
		if cmd {
			return mail.Fatal(mail.ExitPermanent, "Sorry, commands in the Subject are not accepted here: write to the -help address of the Mailing-List header for them (#5.7.0)")
		}
	}
	if ctype != "" && l != nil {
		t := mimeType(ctype)
		if reject[t] || remove[t] {
			return mail.Fatal(mail.ExitPermanent, "Sorry, I don't accept messages of MIME Content-Type '%s' (#5.2.3)", t)
		}
	}
	boundary := ""
	if ctype != "" {
		boundary = param(ctype, "boundary")
	}
	var size uint64
	inPartHeader := false
	lines := strings.SplitAfter(string(m.Body), "\n")
	for _, line := range lines {
		if line == "" {
			continue
		}
		switch {
		case line == "\n":
			inPartHeader = false
			continue
		case inPartHeader && mail.Is(line, "content-type"):
			if t := mimeType(mail.Value(line)); reject[t] {
				return mail.Fatal(mail.ExitPermanent, "Sorry, a message part has an unacceptable MIME Content-Type: '%s' (#5.2.3)", t)
			}
			continue
		case boundary != "" && strings.HasPrefix(line, "--"+boundary):
			inPartHeader = true
			continue
		}
		if size == 0 && o.body {
			low := strings.ToLower(line)
			if strings.HasPrefix(low, "subscribe") || strings.HasPrefix(low, "unsubscribe") {
				return mail.Fatal(mail.ExitPermanent, "Sorry, the message starts with a command, so it looks like a request: write to the -help address of the Mailing-List header for them (#5.7.0)")
			}
		}
		if !inPartHeader {
			size += uint64(len(line))
			if maxSize != 0 && size > maxSize {
				return mail.Fatal(mail.ExitPermanent, "Sorry, I don't accept messages larger than %d bytes (#5.2.3)", maxSize)
			}
		}
	}
	if size < minSize {
		return mail.Fatal(mail.ExitPermanent, "Sorry, I don't accept messages shorter than %d bytes (#5.2.3)", minSize)
	}
	return nil
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func set(l *listdir.List, name string) (map[string]bool, error) {
	lines, err := l.Lines(name)
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, x := range lines {
		m[strings.ToLower(strings.TrimSuffix(x, ":"))] = true
	}
	return m, nil
}

// mimeType is the type/subtype of a Content-Type value, in lower case.
func mimeType(v string) string {
	v = strings.TrimLeft(v, " \t")
	if strings.HasPrefix(v, "\"") {
		v = v[1:]
		if i := strings.IndexByte(v, '"'); i >= 0 {
			v = v[:i]
		}
	} else if i := strings.IndexAny(v, " \t;"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// param is a parameter of a Content-Type value.
func param(v, name string) string {
	for _, p := range strings.Split(v, ";")[1:] {
		p = strings.TrimSpace(p)
		if k, val, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			val = strings.TrimSpace(val)
			if strings.HasPrefix(val, "\"") {
				val = strings.TrimPrefix(val, "\"")
				if i := strings.IndexByte(val, '"'); i >= 0 {
					val = val[:i]
				}
			}
			return val
		}
	}
	return ""
}

// addressed says whether local@host appears in the To and Cc text:
// some '@' with host after it (blanks skipped) and local before it
// (blanks and a closing quote skipped), case-insensitive, as
// ezmlm-reject's getto.
func addressed(to, local, host string) bool {
	for i := 0; i < len(to); i++ {
		if to[i] != '@' {
			continue
		}
		after := strings.TrimLeft(to[i+1:], " \t\n")
		before := strings.TrimRight(to[:i], " \t\n\"")
		if len(after) >= len(host) && strings.EqualFold(after[:len(host)], host) &&
			len(before) >= len(local) && strings.EqualFold(before[len(before)-len(local):], local) {
			return true
		}
	}
	return false
}
