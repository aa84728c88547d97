// Package vacation is quail's autoresponder, vacation(1), for a .qmail
// line such as
//
//	|vacation -a joe@example.com
//	./Maildir/
//
// It answers a message once per sender per interval with the text of the
// user's file, through qmail-inject with the null sender, and follows
// RFC 3834 ("Recommendations for Automatic Responses to Electronic
// Mail"): it never answers a bounce (empty or #@[] sender), a message
// with Auto-Submitted other than "no" (section 2), a mailing list
// (List-* fields, RFC 2369 and 2919; Mailing-List, as ezmlm writes it),
// Precedence bulk, junk or list, a sender that is a list or daemon
// address (owner-*, *-request, MAILER-DAEMON ...; section 2), or a
// message on which none of the user's addresses is in To or Cc (section
// 2: the user was not named, so a list or a Bcc brought it). Its answer
// carries Auto-Submitted: auto-replied, In-Reply-To and References
// (section 3.1.5 and 3.1.7), goes to the envelope sender (3.1.1) from
// the address the sender wrote to (3.1.2).
//
// The senders answered are kept in a small text file (.vacation.db: one
// "seconds address" line each), read and rewritten under an exclusive
// lock on a lock file beside it, the new file fsync'd and renamed into
// place, so that concurrent deliveries answer a sender once and a crash
// leaves the old list or the new one.
package vacation

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/inject"
)

// Defaults.
const (
	DefaultMessage  = ".vacation.msg"
	DefaultDB       = ".vacation.db"
	DefaultInterval = 7 * 24 * time.Hour
	// MaxEntries bounds the senders remembered; the oldest go first.
	MaxEntries = 10000
)

const usage = "[ -n ] [ -r days ] [ -a address ] [ -m message ] [ -f db ]"

// Message is what vacation looks at in an incoming message.
type Message struct {
	Sender string // the envelope sender
	Fields []inject.Field
}

func (m Message) field(name string) (string, bool) {
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return strings.TrimSpace(f.Value), true
		}
	}
	return "", false
}

// listFields mark a message from a mailing list.
var listFields = []string{"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Owner", "List-Archive", "Mailing-List", "X-Mailing-List"}

// daemonLocal are sender local parts that never get an answer.
var daemonLocal = []string{"mailer-daemon", "mailer", "postmaster", "listserv", "majordomo", "uucp", "noreply", "no-reply"}

// Decide says whether to answer m for a user whose addresses are own (an
// entry without @ stands for that local part at any domain), and why
// not; to is the address the answer comes from (the one the sender
// wrote to).
func Decide(m Message, own []string) (answer bool, from, why string) {
	if m.Sender == "" || m.Sender == "#@[]" {
		return false, "", "a bounce"
	}
	local := strings.ToLower(m.Sender)
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	for _, d := range daemonLocal {
		if local == d {
			return false, "", "a daemon's sender " + m.Sender
		}
	}
	if strings.HasPrefix(local, "owner-") || strings.HasSuffix(local, "-request") || strings.HasSuffix(local, "-owner") {
		return false, "", "a list's sender " + m.Sender
	}
	if v, ok := m.field("Auto-Submitted"); ok && !strings.EqualFold(firstWord(v), "no") {
		return false, "", "Auto-Submitted: " + v
	}
	if v, ok := m.field("Precedence"); ok {
		switch strings.ToLower(firstWord(v)) {
		case "bulk", "junk", "list":
			return false, "", "Precedence: " + v
		}
	}
	for _, name := range listFields {
		if _, ok := m.field(name); ok {
			return false, "", "a mailing list (" + name + ")"
		}
	}
	if v, ok := m.field("X-Auto-Response-Suppress"); ok {
		for _, w := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ',' || r == ' ' }) {
			if w == "all" || w == "oof" || w == "autoreply" {
				return false, "", "X-Auto-Response-Suppress: " + v
			}
		}
	}
	for _, f := range m.Fields {
		if !strings.EqualFold(f.Name, "To") && !strings.EqualFold(f.Name, "Cc") {
			continue
		}
		for _, a := range inject.Addresses(f.Value) {
			if mine(a.Addr, own) {
				if sameAddress(a.Addr, m.Sender) {
					return false, "", "a message from the user"
				}
				return true, a.Addr, ""
			}
		}
	}
	return false, "", "the user is not in To or Cc"
}

func firstWord(v string) string {
	if f := strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '(' }); len(f) > 0 {
		return f[0]
	}
	return ""
}

func sameAddress(a, b string) bool { return strings.EqualFold(a, b) }

func mine(addr string, own []string) bool {
	for _, o := range own {
		if o == "" {
			continue
		}
		if strings.Contains(o, "@") {
			if strings.EqualFold(addr, o) {
				return true
			}
			continue
		}
		local := addr
		if at := strings.LastIndexByte(addr, '@'); at >= 0 {
			local = addr[:at]
		}
		if strings.EqualFold(local, o) {
			return true
		}
	}
	return false
}

// Reply is the answer to m from from, with the user's text: a message
// whose header may set Subject (with $SUBJECT standing for the incoming
// one) and other fields, then a blank line and the body. A text without
// a header is all body.
func Reply(m Message, from string, text []byte) []byte {
	subject, _ := m.field("Subject")
	var head, body []byte
	if looksLikeHeader(text) {
		if i := bytes.Index(text, []byte("\n\n")); i >= 0 {
			head, body = text[:i+1], text[i+2:]
		} else {
			head = text
		}
	} else {
		body = text
	}
	head = bytes.ReplaceAll(head, []byte("$SUBJECT"), []byte(oneLine(subject)))
	has := func(name string) bool {
		for _, l := range strings.Split(string(head), "\n") {
			if i := strings.IndexByte(l, ':'); i > 0 && strings.EqualFold(strings.TrimSpace(l[:i]), name) {
				return true
			}
		}
		return false
	}
	var b bytes.Buffer
	// The null sender (RFC 3834 section 3.3), for qmail-inject.
	b.WriteString("Return-Path: <>\n")
	if !has("From") {
		fmt.Fprintf(&b, "From: %s\n", from)
	}
	fmt.Fprintf(&b, "To: %s\n", m.Sender)
	if !has("Subject") {
		s := oneLine(subject)
		if s == "" {
			s = "vacation"
		}
		fmt.Fprintf(&b, "Subject: Auto: %s\n", s)
	}
	b.WriteString("Auto-Submitted: auto-replied\n")
	if id, ok := m.field("Message-ID"); ok && id != "" {
		id = oneLine(id)
		fmt.Fprintf(&b, "In-Reply-To: %s\n", id)
		refs, _ := m.field("References")
		if refs = oneLine(refs); refs != "" {
			fmt.Fprintf(&b, "References: %s %s\n", refs, id)
		} else {
			fmt.Fprintf(&b, "References: %s\n", id)
		}
	}
	b.Write(head)
	b.WriteString("\n")
	b.Write(body)
	return b.Bytes()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// looksLikeHeader says whether text starts with a header field.
func looksLikeHeader(text []byte) bool {
	line := text
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		line = text[:i]
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// DB is the list of senders answered.
type DB struct {
	Path string
}

// Entry is one sender and when it was answered.
type Entry struct {
	When time.Time
	Addr string
}

// Locked runs fn with the database read, under an exclusive lock on
// Path+".lock"; fn returns the entries to write back, or nil to leave
// the file as it is.
func (d DB) Locked(fn func(entries []Entry) ([]Entry, error)) error {
	lock, err := os.OpenFile(d.Path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("unable to open %s.lock: %s", d.Path, djberr.Text(err))
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("unable to lock %s.lock: %s", d.Path, djberr.Text(err))
	}
	entries, err := d.read()
	if err != nil {
		return err
	}
	out, err := fn(entries)
	if err != nil || out == nil {
		return err
	}
	return d.write(out)
}

func (d DB) read() ([]Entry, error) {
	f, err := os.Open(d.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %s", d.Path, djberr.Text(err))
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 4096)
	for sc.Scan() {
		if e, ok := ParseEntry(sc.Text()); ok {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("unable to read %s: %s", d.Path, djberr.Text(err))
	}
	return out, nil
}

// ParseEntry reads one line of the database; a line that is not
// "seconds address" is ignored.
func ParseEntry(line string) (Entry, bool) {
	sec, addr, ok := strings.Cut(line, " ")
	if !ok || addr == "" || strings.ContainsAny(addr, " \t\r\n") {
		return Entry{}, false
	}
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 {
		return Entry{}, false
	}
	return Entry{When: time.Unix(n, 0), Addr: addr}, true
}

func (d DB) write(entries []Entry) error {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].When.Before(entries[j].When) })
	if len(entries) > MaxEntries {
		entries = entries[len(entries)-MaxEntries:]
	}
	var b bytes.Buffer
	for _, e := range entries {
		fmt.Fprintf(&b, "%d %s\n", e.When.Unix(), e.Addr)
	}
	tmp := d.Path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("unable to create %s: %s", tmp, djberr.Text(err))
	}
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syscall.Rename(tmp, d.Path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("unable to write %s: %s", d.Path, djberr.Text(err))
	}
	durable.SyncDir(filepath.Dir(d.Path))
	return nil
}

// Vacation is vacation(1).
func Vacation(inv *cli.Invocation) int {
	interval := DefaultInterval
	msgFile, dbFile := DefaultMessage, DefaultDB
	var own []string
	dry := false
	p := getopt.New(inv.Args, "nr:a:m:f:")
	for {
		opt, arg, ok, err := p.Next()
		if err != nil {
			fmt.Fprintf(inv.Stderr, "%s: %v\n", inv.Name, err)
			return inv.Usage(usage)
		}
		if !ok {
			break
		}
		switch opt {
		case 'n':
			dry = true
		case 'r':
			days, err := strconv.ParseUint(arg, 10, 16)
			if err != nil {
				return inv.Usage(usage)
			}
			interval = time.Duration(days) * 24 * time.Hour
		case 'a':
			own = append(own, arg)
		case 'm':
			msgFile = arg
		case 'f':
			dbFile = arg
		}
	}
	if len(p.Rest()) > 0 {
		return inv.Usage(usage)
	}
	env := func(k string) string { v, _ := inv.Getenv(k); return v }
	sender, ok := inv.Getenv("SENDER")
	if !ok {
		return inv.Fatal(cli.ExitPermanent, "SENDER not set")
	}
	own = append(own, env("RECIPIENT"))
	if l, h := env("LOCAL"), env("HOST"); l != "" && h != "" {
		own = append(own, l+"@"+h)
	}
	fields, err := inject.ReadHeader(bufio.NewReaderSize(inv.Stdin, 64<<10))
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read message: %s", djberr.Text(err))
	}
	m := Message{Sender: sender, Fields: fields}
	answer, from, why := Decide(m, own)
	if !answer {
		if dry {
			fmt.Fprintf(inv.Stderr, "%s: no answer: %s\n", inv.Name, why)
		}
		return 0
	}
	text, err := os.ReadFile(msgFile)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read %s: %s", msgFile, djberr.Text(err))
	}
	key := strings.ToLower(sender)
	now := time.Now()
	err = DB{Path: dbFile}.Locked(func(entries []Entry) ([]Entry, error) {
		var keep []Entry
		for _, e := range entries {
			if interval > 0 && now.Sub(e.When) >= interval {
				continue // forgotten: past the interval
			}
			if e.Addr == key {
				if interval > 0 {
					if dry {
						fmt.Fprintf(inv.Stderr, "%s: no answer: answered %s at %s\n", inv.Name, sender, e.When.UTC().Format(time.RFC3339))
					}
					return nil, nil
				}
				continue
			}
			keep = append(keep, e)
		}
		reply := Reply(m, from, text)
		if dry {
			fmt.Fprintf(inv.Stderr, "%s: would answer %s from %s\n", inv.Name, sender, from)
			inv.Stdout.Write(reply)
			return nil, nil
		}
		if err := send(inv, reply, sender); err != nil {
			return nil, err
		}
		return append(keep, Entry{When: now, Addr: key}), nil
	})
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%s", err.Error())
	}
	return 0
}

// send runs qmail-inject -a -- recipient on reply, from the qmail
// home's bin, as qmail's own programs find their helpers.
func send(inv *cli.Invocation, reply []byte, to string) error {
	prog := injectPath(inv)
	cmd := exec.Command(prog, "-a", "--", to)
	cmd.Env = inv.Env
	cmd.Stdin = bytes.NewReader(reply)
	cmd.Stdout = io.Discard
	cmd.Stderr = inv.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("unable to send the answer: qmail-inject exited %d", ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("unable to run qmail-inject: %s", djberr.Text(err))
	}
	return nil
}

// injectPath is the qmail home's bin/qmail-inject, else the one beside
// this program, else qmail-inject through PATH.
func injectPath(inv *cli.Invocation) string {
	candidates := []string{filepath.Join(qmailhome.Dir(inv.Getenv), "bin", "qmail-inject")}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "qmail-inject"))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return c
		}
	}
	if p, err := pathexec.Lookup("qmail-inject", inv.Env); err == nil {
		return p
	}
	return "qmail-inject"
}
