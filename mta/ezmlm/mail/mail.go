// Package mail holds what ezmlm's programs share to read a message and
// to write and queue one: the header split of ezmlm's gethdrln, the
// header fields every ezmlm message carries (Mailing-List, List-ID,
// Date, Message-ID, From), address quoting, and the injection through
// qmail-queue (qmail.c's qmail_open and qmail_close, run in the qmail
// home).
//
// A program's outcome is an *Exit: its code and its one diagnostic
// line, "ezmlm-x: fatal: ..." or "ezmlm-x: info: ...", which qmail-local
// puts into the delivery report.
package mail

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/ezmlm/cookie"
	"github.com/quail-mta/quail/mta/ezmlm/listdir"
	"github.com/quail-mta/quail/mta/local"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/received"
)

// Exit codes of the ezmlm programs, those of qmail-command(8).
const (
	ExitOK        = 0
	ExitSkip      = 99  // success; qmail-local skips the rest of the .qmail file
	ExitPermanent = 100 // the message bounces
	ExitTemporary = 111 // qmail-local tries again later
)

// Exit is how a program ends: its code and, unless Text is empty, one
// line on stderr: "name: fatal: Text" for codes 100 and 111, "name:
// info: Text" otherwise.
type Exit struct {
	Code int
	Text string
}

func (e *Exit) Error() string { return e.Text }

// Fatal is an Exit with code and text.
func Fatal(code int, format string, a ...any) *Exit {
	return &Exit{Code: code, Text: fmt.Sprintf(format, a...)}
}

// Temp is a temporary failure for err.
func Temp(err error) *Exit { return &Exit{Code: ExitTemporary, Text: err.Error()} }

// Info ends with code and an info line.
func Info(code int, format string, a ...any) *Exit {
	return &Exit{Code: code, Text: fmt.Sprintf(format, a...)}
}

// Report prints e's line and returns its code; nil is success, silent.
func Report(inv *cli.Invocation, err error) int {
	if err == nil {
		return ExitOK
	}
	e, ok := err.(*Exit)
	if !ok {
		var ae *listdir.AddressError
		if asAddress(err, &ae) {
			e = &Exit{Code: ExitPermanent, Text: ae.Why}
		} else {
			e = Temp(err)
		}
	}
	if e.Text != "" {
		kind := "info: "
		if e.Code == ExitPermanent || e.Code == ExitTemporary {
			kind = "fatal: "
		}
		fmt.Fprintf(inv.Stderr, "%s: %s%s\n", inv.Name, kind, strings.ReplaceAll(e.Text, "\n", " "))
	}
	return e.Code
}

func asAddress(err error, target **listdir.AddressError) bool {
	ae, ok := err.(*listdir.AddressError)
	if ok {
		*target = ae
	}
	return ok
}

// Message is a message read whole: its header lines, each with its
// continuation lines and its newline, and the body after the empty
// line.
type Message struct {
	Header []string
	Body   []byte
	Raw    []byte
}

// MaxMessage bounds a message read whole.
const MaxMessage = 64 << 20

// Read reads r whole (up to MaxMessage) and splits it as gethdrln
// does: a header line takes the lines starting with a space or a tab
// after it; the header ends at the first empty line, or at the end.
func Read(r io.Reader) (*Message, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxMessage+1))
	if err != nil {
		return nil, fmt.Errorf("unable to read input: %w", err)
	}
	if len(b) > MaxMessage {
		return nil, &Exit{Code: ExitPermanent, Text: "message too large (#5.2.3)"}
	}
	return Split(b), nil
}

// Split splits a message held in memory.
func Split(b []byte) *Message {
	m := &Message{Raw: b}
	rest := b
	for len(rest) > 0 {
		if rest[0] == '\n' {
			m.Body = rest[1:]
			return m
		}
		end := lineEnd(rest)
		for end < len(rest) && (rest[end] == ' ' || rest[end] == '\t') {
			end += lineEnd(rest[end:])
		}
		m.Header = append(m.Header, string(rest[:end]))
		rest = rest[end:]
	}
	return m
}

func lineEnd(b []byte) int {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	return len(b)
}

// Is says whether a header line is the field name (case-insensitive).
func Is(line, name string) bool {
	return len(line) > len(name) && line[len(name)] == ':' && strings.EqualFold(line[:len(name)], name)
}

// Value is a header line's text after the colon.
func Value(line string) string {
	if i := strings.IndexByte(line, ':'); i >= 0 {
		return line[i+1:]
	}
	return ""
}

// Field returns the first field of that name, unfolded (concatHDR:
// blanks around line breaks made one space, outer blanks trimmed).
func (m *Message) Field(name string) (string, bool) {
	for _, h := range m.Header {
		if Is(h, name) {
			return Unfold(Value(h)), true
		}
	}
	return "", false
}

// Unfold is ezmlm-idx's concatHDR without its trailing space.
func Unfold(v string) string {
	parts := strings.Split(v, "\n")
	for i, p := range parts {
		parts[i] = strings.Trim(p, " \t\r")
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// QuoteLocal quotes a local part as qmail's quote() does in headers.
func QuoteLocal(local string) string {
	q := localQuote(local + "@x")
	return q[:len(q)-2]
}

// QuoteAddress quotes an address's local part as qmail's quote2.
func QuoteAddress(addr string) string { return localQuote(addr) }

var localQuote = local.QuoteAddress

// VERP is an address with its last '@' made '=': "box=example.org".
func VERP(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i] + "=" + addr[i+1:]
	}
	return addr
}

// UnVERP undoes VERP at the last '='.
func UnVERP(s string) string {
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		return s[:i] + "@" + s[i+1:]
	}
	return s
}

// Builder writes a new message.
type Builder struct {
	bytes.Buffer
	List     *listdir.List
	Local    string // outlocal, or outlocal-digest for the digest list
	When     time.Time
	Boundary string // the MIME boundary MessageID derived
}

// NewBuilder starts a message of the list.
func NewBuilder(l *listdir.List, local string, when time.Time) *Builder {
	return &Builder{List: l, Local: local, When: when}
}

// Add writes "name: value\n".
func (b *Builder) Add(name, value string) {
	b.WriteString(name + ": " + value + "\n")
}

// MailingList writes the Mailing-List field (dir/mailinglist, as ezmlm
// 0.53, or ezmlm-idx's "contact list-help@host; run by ezmlm") and the
// List-ID field when dir/listid has one.
func (b *Builder) MailingList() error {
	v, ok, err := b.List.Line("mailinglist")
	if err != nil {
		return err
	}
	if !ok || v == "" {
		v = "contact " + b.List.Outlocal + "-help@" + b.List.Outhost + "; run by ezmlm"
	}
	b.Add("Mailing-List", v)
	id, ok, err := b.List.Line("listid")
	if err != nil {
		return err
	}
	if ok && id != "" {
		b.Add("List-ID", id)
	}
	return nil
}

// DateMessageID writes Date and Message-ID as hdr_datemsgid:
// <TIME.PID.ezmlm@outhost>; the MIME boundary is the hash of that id.
func (b *Builder) DateMessageID() {
	b.Add("Date", received.Date822(b.When))
	id := strconv.FormatInt(b.When.Unix(), 10) + "." + strconv.Itoa(os.Getpid()) + ".ezmlm@" + b.List.Outhost
	b.Add("Message-ID", "<"+id+">")
	b.Boundary = cookie.Hash([]byte(id + "\x00"))
}

// From writes "From: outlocal<suffix>@outhost".
func (b *Builder) From(suffix string) {
	b.Add("From", QuoteLocal(b.Local)+suffix+"@"+b.List.Outhost)
}

// TextPlain writes MIME-Version and a text/plain Content-Type with the
// list's charset (dir/charset, us-ascii without it).
func (b *Builder) TextPlain() error {
	cs, err := b.Charset()
	if err != nil {
		return err
	}
	b.Add("MIME-Version", "1.0")
	b.Add("Content-Type", "text/plain; charset="+cs)
	return nil
}

// Charset is the list's charset without its encoding suffix.
func (b *Builder) Charset() (string, error) {
	cs, ok, err := b.List.Line("charset")
	if err != nil {
		return "", err
	}
	if i := strings.IndexByte(cs, ':'); i >= 0 {
		cs = cs[:i]
	}
	if !ok || cs == "" {
		cs = "us-ascii"
	}
	return cs, nil
}

// Text renders text/name with s and appends it; a missing text is a
// permanent failure, so that the owner learns of it (ezmlm's copy).
func (b *Builder) Text(name string, s *listdir.Subst) error {
	t, ok, err := b.List.Text(name)
	if err != nil {
		return err
	}
	if !ok {
		return Fatal(ExitPermanent, "unable to open text/%s: file does not exist", name)
	}
	out, _ := s.Render(t, false)
	b.Write(out)
	return nil
}

// Queue is how a program reaches qmail-queue.
type Queue struct {
	inj qqueue.Injection
}

// NewQueue finds qmail-queue for the invocation: $QMAILQUEUE, else the
// qmail home's bin/qmail-queue.
func NewQueue(inv *cli.Invocation) *Queue {
	return &Queue{inj: qqueue.Injection{
		Home:    qmailhome.Dir(inv.Getenv),
		Program: qqueue.Program(inv.Getenv),
		Env:     inv.Env,
		Stderr:  inv.Stderr,
	}}
}

// Send queues msg for recips with sender and returns qmail-queue's qp.
// Any failure is temporary for the program, as ezmlm treats every
// qmail_close error ("temporary qmail-queue error: ...").
func (q *Queue) Send(msg []byte, sender string, recips []string) (int, error) {
	res := q.inj.Run(nil, bytes.NewReader(msg), sender, recips)
	if !res.OK() {
		return 0, Fatal(ExitTemporary, "temporary qmail-queue error: %s", res.Text)
	}
	return res.Pid, nil
}

// Sender is $SENDER, and whether it is set.
func Sender(inv *cli.Invocation) (string, bool) { return inv.Getenv("SENDER") }

// CheckRequester refuses what ezmlm never answers: no sender, a bounce
// (empty sender or #@[]) or a sender without a host.
func CheckRequester(inv *cli.Invocation) (string, error) {
	s, ok := Sender(inv)
	if !ok {
		return "", Fatal(ExitPermanent, "SENDER not set")
	}
	if s == "" || s == "#@[]" {
		return "", Fatal(ExitPermanent, "I do not reply to bounce messages (#5.7.2)")
	}
	if !strings.Contains(s, "@") {
		return "", Fatal(ExitPermanent, "I do not reply to senders without host names (#5.7.2)")
	}
	return s, nil
}

// Multipart writes MIME-Version and a multipart Content-Type (subtype
// "mixed" or "digest") with the Builder's boundary; DateMessageID must
// have run.
func (b *Builder) Multipart(subtype string) {
	b.Add("MIME-Version", "1.0")
	b.Add("Content-Type", "multipart/"+subtype+"; boundary="+b.Boundary)
}

// Part starts a part as hdr_boundary and hdr_ctype do: "\n\n--B\n",
// then Content-Type, then the empty line. text is a text/plain part in
// the list's charset; otherwise a message/rfc822 one.
func (b *Builder) Part(text bool) error {
	b.WriteString("\n\n--" + b.Boundary + "\n")
	if text {
		cs, err := b.Charset()
		if err != nil {
			return err
		}
		b.Add("Content-Type", "text/plain; charset="+cs)
	} else {
		b.Add("Content-Type", "message/rfc822")
	}
	b.WriteString("\n")
	return nil
}

// End closes the multipart: "\n\n--B--\n".
func (b *Builder) End() { b.WriteString("\n\n--" + b.Boundary + "--\n") }
