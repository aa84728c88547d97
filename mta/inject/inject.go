package inject

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/received"
)

// Recipient strategies (qmail-inject's -a -A -h -H; -A is the default).
const (
	recipDefault = iota // arguments if there are any, else the header
	recipArgs           // -a: arguments only
	recipHeader         // -h: header only
	recipBoth           // -H: arguments and header
)

// Settings are what qmail-inject takes from controls and environment.
// Each of the four controls is overridden by its variable, as
// qmail-inject(8) says: QMAILDEFAULTHOST, QMAILDEFAULTDOMAIN,
// QMAILPLUSDOMAIN, QMAILIDHOST. QMAILHOST (or MAILHOST) is something
// else: the host of the From field qmail-inject makes and of the default
// envelope sender, which leaves addresses without a host to defaulthost.
type Settings struct {
	DefaultHost   string   // control/defaulthost, else me; $QMAILDEFAULTHOST
	DefaultDomain string   // control/defaultdomain, else me; $QMAILDEFAULTDOMAIN
	PlusDomain    string   // control/plusdomain, else me; $QMAILPLUSDOMAIN
	IDHost        string   // control/idhost, else me; $QMAILIDHOST
	MailHost      string   // $QMAILHOST, $MAILHOST: the From field's host ("" for defaulthost)
	User          string   // $QMAILUSER, $MAILUSER, $USER, $LOGNAME
	Name          string   // $QMAILNAME, $MAILNAME, $NAME
	SUser, SHost  string   // $QMAILSUSER, $QMAILSHOST: envelope sender
	Flags         string   // $QMAILINJECT
	MFTFile       string   // $QMAILMFTFILE
	MFT           []string // the mailing lists named in MFTFile, lowercased
}

func first(env func(string) (string, bool), keys ...string) (string, bool) {
	for _, k := range keys {
		if v, ok := env(k); ok {
			return v, true
		}
	}
	return "", false
}

// LoadSettings reads the controls of home and the environment.
func LoadSettings(home string, env func(string) (string, bool)) (*Settings, error) {
	ctl := control.Open(home)
	me, _, err := ctl.Line("me", "")
	if err != nil {
		return nil, err
	}
	get := func(name string) (string, error) {
		v, _, err := ctl.Line(name, me)
		return v, err
	}
	s := &Settings{}
	for _, c := range []struct {
		dst           *string
		control, vari string
	}{
		{&s.DefaultHost, "defaulthost", "QMAILDEFAULTHOST"},
		{&s.DefaultDomain, "defaultdomain", "QMAILDEFAULTDOMAIN"},
		{&s.PlusDomain, "plusdomain", "QMAILPLUSDOMAIN"},
		{&s.IDHost, "idhost", "QMAILIDHOST"},
	} {
		if v, ok := env(c.vari); ok {
			*c.dst = v
			continue
		}
		if *c.dst, err = get(c.control); err != nil {
			return nil, err
		}
	}
	if s.DefaultHost == "" && s.DefaultDomain == "" {
		return nil, fmt.Errorf("unable to read %s: %w", filepath.Join(ctl.Path, "me"), control.ErrMissing)
	}
	s.MailHost, _ = first(env, "QMAILHOST", "MAILHOST")
	s.User, _ = first(env, "QMAILUSER", "MAILUSER", "USER", "LOGNAME")
	if s.User == "" {
		s.User = "anonymous"
	}
	s.Name, _ = first(env, "QMAILNAME", "MAILNAME", "NAME")
	s.SUser, _ = env("QMAILSUSER")
	s.SHost, _ = env("QMAILSHOST")
	s.Flags, _ = env("QMAILINJECT")
	s.MFTFile, _ = env("QMAILMFTFILE")
	if s.MFTFile != "" {
		b, err := os.ReadFile(s.MFTFile)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.ToLower(strings.TrimSpace(l)); l != "" {
				s.MFT = append(s.MFT, l)
			}
		}
	}
	return s, nil
}

// Rewrite completes an address as qmail-header(5) says: no host gets
// @defaulthost; a host without a dot gets .defaultdomain; a host ending
// in '+' gets .plusdomain instead of the '+'. The empty address and
// address literals stay as they are. Unlike qmail, the host "localhost"
// stays too (RFC 6761 reserves it for this machine, and
// "localhost.example.com" is never what was meant), and so does a
// defaulthost without a dot: qmail would extend it as well, which on a
// machine whose name has no dot (me, and so defaulthost and
// defaultdomain, all "mailhost") makes every local address
// "user@mailhost.mailhost".
func (s *Settings) Rewrite(addr string) string {
	if addr == "" || addr == "<>" {
		return addr
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr + "@" + s.DefaultHost
	}
	host := addr[at+1:]
	switch {
	case strings.HasPrefix(host, "["):
		return addr
	case strings.HasSuffix(host, "+"):
		return addr[:at+1] + strings.TrimSuffix(host, "+") + "." + s.PlusDomain
	case !strings.Contains(host, ".") && host != "" && !strings.EqualFold(host, "localhost"):
		return addr + "." + s.DefaultDomain
	}
	return addr
}

// Message is a message being prepared.
type Message struct {
	Fields     []Field
	Recipients []string // envelope recipients found in the header
	ReturnPath string
	HasRP      bool
}

// Prepare rewrites the header: addresses completed, Bcc and Resent-Bcc,
// Return-Path and Content-Length removed, From, Date and Message-ID added
// when missing (their Resent- forms in resent mode), and
// "Cc: recipient list not shown: ;" when there is no To or Cc.
func (s *Settings) Prepare(fields []Field, now time.Time, pid int) *Message {
	m := &Message{}
	resent := false
	for _, f := range fields {
		if strings.HasPrefix(strings.ToLower(f.Name), "resent-") {
			resent = true
		}
	}
	have := map[string]bool{}
	var tocc []string // To and Cc addresses, for Mail-Followup-To
	for _, f := range fields {
		lname := strings.ToLower(f.Name)
		if strings.Contains(s.Flags, "f") && (lname == "from") {
			continue
		}
		if strings.Contains(s.Flags, "i") && (lname == "message-id") {
			continue
		}
		if lname == "return-path" {
			if !strings.Contains(s.Flags, "s") {
				if spans := Addresses(f.Value); len(spans) > 0 {
					m.ReturnPath = s.Rewrite(spans[0].Addr)
					m.HasRP = true
				} else if strings.Contains(f.Value, "<>") {
					m.ReturnPath, m.HasRP = "", true
				}
			}
			continue
		}
		if lname == "content-length" {
			continue
		}
		if addressFields[lname] {
			f.Value = s.rewriteValue(f.Value)
			recipField := map[string]bool{"to": true, "cc": true, "bcc": true, "apparently-to": true}
			if resent {
				recipField = map[string]bool{"resent-to": true, "resent-cc": true, "resent-bcc": true}
			}
			if lname == "to" || lname == "cc" {
				for _, a := range Addresses(f.Value) {
					if a.Addr != "" {
						tocc = append(tocc, a.Addr)
					}
				}
			}
			if recipField[lname] {
				for _, a := range Addresses(f.Value) {
					if a.Addr != "" {
						m.Recipients = append(m.Recipients, a.Addr)
					}
				}
			}
		}
		have[lname] = true
		if lname == "bcc" || lname == "resent-bcc" {
			continue
		}
		m.Fields = append(m.Fields, f)
	}
	prefix := ""
	if resent {
		prefix = "Resent-"
	}
	lp := strings.ToLower(prefix)
	if !have[lp+"message-id"] {
		// qmail's form: the UTC time as YYYYMMDDhhmmss, the pid, "qmail".
		m.Fields = append(m.Fields, Field{Name: prefix + "Message-ID", Value: fmt.Sprintf(" <%s.%d.qmail@%s>", now.UTC().Format("20060102150405"), pid, s.IDHost)})
	}
	if !have[lp+"date"] {
		m.Fields = append(m.Fields, Field{Name: prefix + "Date", Value: " " + received.Date822(now)})
	}
	if !have[lp+"from"] {
		m.Fields = append(m.Fields, Field{Name: prefix + "From", Value: " " + s.fromValue()})
	}
	if !have["mail-followup-to"] && s.toList(tocc) {
		m.Fields = append(m.Fields, Field{Name: "Mail-Followup-To", Value: " " + strings.Join(tocc, ",\n  ")})
	}
	if !resent && !have["to"] && !have["cc"] {
		m.Fields = append(m.Fields, Field{Name: "Cc", Value: " recipient list not shown: ;"})
	}
	return m
}

// toList says whether one of addrs is a mailing list of QMAILMFTFILE.
func (s *Settings) toList(addrs []string) bool {
	for _, a := range addrs {
		for _, l := range s.MFT {
			if strings.EqualFold(a, l) {
				return true
			}
		}
	}
	return false
}

func (s *Settings) fromValue() string {
	addr := s.User
	if s.MailHost != "" {
		addr += "@" + s.MailHost
	}
	addr = s.Rewrite(addr)
	if s.Name == "" {
		return addr
	}
	if strings.Contains(s.Flags, "c") {
		return addr + " (" + s.Name + ")"
	}
	name := s.Name
	if strings.ContainsAny(name, "()<>[]:;@\\,.\"") {
		name = `"` + strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), `"`, `\"`) + `"`
	}
	return name + " <" + addr + ">"
}

// rewriteValue completes every address in a field value in place.
func (s *Settings) rewriteValue(v string) string {
	spans := Addresses(v)
	for i := len(spans) - 1; i >= 0; i-- {
		sp := spans[i]
		nv := s.Rewrite(sp.Addr)
		if nv != sp.Addr {
			v = v[:sp.Start] + nv + v[sp.End:]
		}
	}
	return v
}

// Sender picks the envelope sender: Return-Path (unless QMAILINJECT has
// s), -f, then $QMAILSUSER (else the From field's user) at $QMAILSHOST
// (else $QMAILHOST or $MAILHOST, else defaulthost), completed like any
// address; then the VERP letters m (per message: "-TIME.PID" after the
// user) and r (per recipient: "user-@host-@[]").
func (s *Settings) Sender(m *Message, flagSender *string, now time.Time, pid int) string {
	if m.HasRP {
		return m.ReturnPath
	}
	if flagSender != nil {
		return s.Rewrite(*flagSender)
	}
	user, host := s.User, s.MailHost
	if s.SUser != "" {
		user = s.SUser
	}
	if s.SHost != "" {
		host = s.SHost
	}
	if strings.Contains(s.Flags, "m") {
		user = fmt.Sprintf("%s-%d.%d", user, now.Unix(), pid)
	}
	verp := strings.Contains(s.Flags, "r")
	if verp {
		user += "-"
	}
	sender := user
	if host != "" {
		sender += "@" + host
	}
	sender = s.Rewrite(sender)
	if verp {
		sender += "-@[]"
	}
	return sender
}

// Write writes the header fields and the blank line.
func (m *Message) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, f := range m.Fields {
		bw.WriteString(f.Name)
		bw.WriteByte(':')
		bw.WriteString(f.Value)
		bw.WriteByte('\n')
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

const usage = "[ -nNaAhH ] [ -fsender ] [ recip ... ]"

// Main is qmail-inject. Exit codes: 0 queued, 100 usage or a permanent
// refusal, 111 temporary failure.
func Main(inv *cli.Invocation) int {
	strategy := recipDefault
	printOnly := false
	var flagSender *string
	p := getopt.New(inv.Args, "nNaAhHf:")
	for {
		c, arg, ok, err := p.Next()
		if err != nil {
			return inv.Usage(usage)
		}
		if !ok {
			break
		}
		switch c {
		case 'n':
			printOnly = true
		case 'N':
			printOnly = false
		case 'a':
			strategy = recipArgs
		case 'h':
			strategy = recipHeader
		case 'A':
			strategy = recipDefault
		case 'H':
			strategy = recipBoth
		case 'f':
			a := arg
			flagSender = &a
		}
	}
	args := p.Rest()
	home := qmailhome.Dir(inv.Getenv)
	s, err := LoadSettings(home, inv.Getenv)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read controls: %v", err)
	}
	in := bufio.NewReaderSize(inv.Stdin, 64<<10)
	fields, err := ReadHeader(in)
	if err != nil {
		if err == ErrHeaderTooLong {
			return inv.Fatal(cli.ExitPermanent, "unable to read message: %v", err)
		}
		return inv.Fatal(cli.ExitTemporary, "unable to read message: %v", err)
	}
	now := time.Now()
	pid := os.Getpid()
	m := s.Prepare(fields, now, pid)
	var recips []string
	if strategy == recipDefault {
		strategy = recipHeader
		if len(args) > 0 {
			strategy = recipArgs
		}
	}
	if strategy == recipArgs || strategy == recipBoth {
		for _, a := range args {
			recips = append(recips, s.Rewrite(a))
		}
	}
	if strategy == recipHeader || strategy == recipBoth {
		recips = append(recips, m.Recipients...)
	}
	if len(recips) == 0 {
		return inv.Fatal(cli.ExitPermanent, "no recipients")
	}
	sender := s.Sender(m, flagSender, now, pid)
	if printOnly {
		out := bufio.NewWriter(inv.Stdout)
		fmt.Fprintf(out, "sender: %s\n", sender)
		for _, r := range recips {
			fmt.Fprintf(out, "recipient: %s\n", r)
		}
		m.Write(out)
		io.Copy(out, in)
		out.Flush()
		return 0
	}
	prog := filepath.Join(home, "bin", "qmail-queue")
	if v, ok := inv.Getenv("QMAILQUEUE"); ok && v != "" {
		prog = v
	}
	q, err := qqueue.Start(prog, inv.Env)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to run %s: %v", prog, err)
	}
	m.Write(q)
	if _, err := io.Copy(q, in); err != nil {
		q.Abort()
		return inv.Fatal(cli.ExitTemporary, "unable to read message: %v", err)
	}
	r := q.Close(sender, recips)
	if !r.OK() {
		code := cli.ExitTemporary
		if r.Permanent() {
			code = cli.ExitPermanent
		}
		return inv.Fatal(code, "%s", r.Text)
	}
	return 0
}
