package serialmail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/getopt"
	"github.com/quail-mta/quail/internal/pathexec"
	"github.com/quail-mta/quail/internal/qmailhome"
	"github.com/quail-mta/quail/mta/control"
	"github.com/quail-mta/quail/mta/local"
	"github.com/quail-mta/quail/mta/maildir"
	"github.com/quail-mta/quail/mta/qqueue"
	"github.com/quail-mta/quail/mta/received"
)

const maildirserialUsage = "maildirserial: usage: maildirserial [ -b ] [ -t lifetime ] dir prefix client [ arg ... ]"

// Envelope reads a message's first two lines as serialmail does:
// "Return-Path: <sender>" and "Delivered-To: recipient". ok is false for
// a file not of that form. n is the length of the two lines.
func Envelope(br *bufio.Reader) (sender, recipient string, n int, ok bool, err error) {
	rp, err := br.ReadString('\n')
	if err == io.EOF {
		return "", "", 0, false, nil
	}
	if err != nil {
		return "", "", 0, false, err
	}
	if !strings.HasPrefix(rp, "Return-Path: <") || len(rp) < 16 || rp[len(rp)-2] != '>' {
		return "", "", 0, false, nil
	}
	dt, err := br.ReadString('\n')
	if err == io.EOF {
		return "", "", 0, false, nil
	}
	if err != nil {
		return "", "", 0, false, err
	}
	if !strings.HasPrefix(dt, "Delivered-To: ") {
		return "", "", 0, false, nil
	}
	return rp[14 : len(rp)-2], dt[14 : len(dt)-1], len(rp) + len(dt), true, nil
}

// serial is one run of maildirserial.
type serial struct {
	inv      *cli.Invocation
	dir      string
	prefix   string
	client   []string
	bounce   bool
	lifetime int64 // seconds, with -t
	flagLife bool
	home     string
	ctl      bounceControls
	dead     map[string]bool
	now      func() time.Time
}

type bounceControls struct {
	me, from, host, doubleTo string
}

func (s *serial) info(format string, a ...any) {
	fmt.Fprintf(s.inv.Stderr, "maildirserial: info: "+format, a...)
}

func (s *serial) warn(format string, a ...any) {
	fmt.Fprintf(s.inv.Stderr, "maildirserial: warning: "+format+"\n", a...)
}

func fatal(inv *cli.Invocation, code int, format string, a ...any) int {
	fmt.Fprintf(inv.Stderr, "maildirserial: fatal: "+format+"\n", a...)
	return code
}

// MaildirSerial is maildirserial(1).
func MaildirSerial(inv *cli.Invocation) int {
	s := &serial{inv: inv, dead: map[string]bool{}, now: time.Now}
	p := getopt.New(inv.Args, "bt:")
	for {
		opt, arg, ok, err := p.Next()
		if err != nil {
			fmt.Fprintf(inv.Stderr, "maildirserial: %v\n", err)
			fmt.Fprintln(inv.Stderr, maildirserialUsage)
			return 100
		}
		if !ok {
			break
		}
		switch opt {
		case 'b':
			s.bounce = true
		case 't':
			n, _ := strconv.ParseInt(leadingDigits(arg), 10, 63)
			s.lifetime, s.flagLife = n, true
		}
	}
	rest := p.Rest()
	if len(rest) < 3 {
		fmt.Fprintln(inv.Stderr, maildirserialUsage)
		return 100
	}
	s.dir, s.prefix, s.client = rest[0], rest[1], rest[2:]
	if st, err := os.Stat(s.dir); err != nil || !st.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return fatal(inv, 111, "unable to chdir to %s: %s", s.dir, djberr.Text(err))
	}
	s.home = qmailhome.Dir(inv.Getenv)
	if err := s.readControls(); err != nil {
		return fatal(inv, 111, "%s", err.Error())
	}
	return s.run()
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return "0"
	}
	return s[:i]
}

func (s *serial) readControls() error {
	if _, err := os.Stat(s.home); err != nil {
		return fmt.Errorf("unable to chdir to %s: %s", s.home, djberr.Text(err))
	}
	ctl := control.Open(s.home)
	read := func(name, def string) (string, error) {
		v, _, err := ctl.Line(name, def)
		if err != nil {
			return "", fmt.Errorf("unable to read %s/control/%s: %s", s.home, name, djberr.Text(err))
		}
		return v, nil
	}
	var err error
	c := &s.ctl
	if c.me, err = read("me", "me"); err != nil {
		return err
	}
	if c.from, err = read("bouncefrom", "MAILER-DAEMON"); err != nil {
		return err
	}
	if c.host, err = read("bouncehost", c.me); err != nil {
		return err
	}
	dbhost, err := read("doublebouncehost", c.me)
	if err != nil {
		return err
	}
	to, err := read("doublebounceto", "postmaster")
	if err != nil {
		return err
	}
	c.doubleTo = to + "@" + dbhost
	return nil
}

// usable says whether name is to be offered to the client: not given up
// on in this run, and for the prefix.
func (s *serial) usable(name string) bool {
	if s.dead[name] {
		return false
	}
	if s.prefix == "" {
		return true
	}
	f, err := maildir.OpenMessage(filepath.Join(s.dir, name))
	if err != nil {
		s.warn("unable to open %s: %s", name, djberr.Text(err))
		return false
	}
	defer f.Close()
	_, rcpt, _, ok, err := Envelope(bufio.NewReaderSize(f, 256))
	if err != nil {
		s.warn("unable to read %s: %s", name, djberr.Text(err))
		return false
	}
	return ok && strings.HasPrefix(rcpt, s.prefix)
}

// scan lists the usable messages, oldest first, as names relative to the
// Maildir ("new/..." or "cur/...").
func (s *serial) scan() ([]string, error) {
	maildir.Clean(s.dir, s.now())
	msgs, err := maildir.Scan(s.dir, true, true, s.now())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range msgs {
		name := m.Subdir + "/" + m.Name
		if s.usable(name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func (s *serial) run() int {
	progress := 3
	for {
		files, err := s.scan()
		if err != nil {
			return fatal(s.inv, 111, "%s", djberr.Text(err))
		}
		if len(files) == 0 {
			if len(s.dead) > 0 {
				return 111
			}
			return 0
		}
		progress--
		got, code, crashed := s.round(files)
		if got {
			progress = 3
		}
		if crashed {
			return fatal(s.inv, 111, "client crashed")
		}
		if code == 100 {
			return 100
		}
		if progress == 0 {
			return fatal(s.inv, 111, "making no progress, giving up")
		}
	}
}

// round runs the client once on files and handles its results.
func (s *serial) round(files []string) (gotResults bool, code int, crashed bool) {
	path, err := pathexec.Lookup(s.client[0], s.inv.Env)
	if err != nil {
		fatal(s.inv, 111, "unable to run %s: %s", s.client[0], djberr.Text(err))
		return false, 111, false
	}
	cmd := exec.Command(path, s.client[1:]...)
	cmd.Args[0] = s.client[0]
	cmd.Dir = s.dir
	cmd.Env = s.inv.Env
	cmd.Stderr = s.inv.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return false, 111, false
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return false, 111, false
	}
	if err := cmd.Start(); err != nil {
		fatal(s.inv, 111, "unable to run %s: %s", s.client[0], djberr.Text(err))
		return false, 111, false
	}
	go func() {
		bw := bufio.NewWriter(in)
		for _, f := range files {
			bw.WriteString(f)
			bw.WriteByte(0)
		}
		bw.Flush() // errors ignored, as the original's
		in.Close()
	}()
	br := bufio.NewReader(out)
	for {
		fn, err := br.ReadString(0)
		if err != nil {
			break
		}
		status, err := br.ReadByte()
		if err != nil {
			break
		}
		text, err := br.ReadString('\n')
		if err != nil {
			break
		}
		gotResults = true
		s.result(fn[:len(fn)-1], status, text)
	}
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if !ee.Exited() {
			return gotResults, 0, true
		}
		return gotResults, ee.ExitCode(), false
	}
	return gotResults, 0, false
}

// result handles the client's word on one message.
func (s *serial) result(fn string, status byte, text string) {
	path := filepath.Join(s.dir, fn)
	if status == 'K' {
		s.info("%s succeeded: %s", fn, text)
		if err := os.Remove(path); err != nil {
			s.warn("message will be delivered twice! unable to unlink %s: %s", fn, djberr.Text(err))
			s.dead[fn] = true
		}
		return
	}
	timeout := false
	if s.flagLife && status != 'D' {
		st, err := os.Stat(path)
		if err != nil {
			s.warn("assuming message is still alive; unable to stat %s: %s", fn, djberr.Text(err))
		} else if s.now().Unix() > st.ModTime().Unix()+s.lifetime {
			status, timeout = 'D', true
		}
	}
	if s.bounce && status == 'D' {
		s.info("%s bounced: %s", fn, text)
		r, qp, why := s.bounceMessage(path, text, timeout)
		switch r {
		case bounceReadError:
			s.warn("unable to bounce %s: %s", fn, why)
		case bounceQueueError:
			s.warn("unable to bounce %s: qq failed: %s", fn, why)
		case bounceBadFormat:
			s.warn("unable to bounce %s: bad file format", fn)
		case bounceTriple:
			fmt.Fprintf(s.inv.Stderr, "maildirserial: info: discarding %s: triple bounce\n", fn)
		case bounceSent:
			s.info("returned %s: qp %d\n", fn, qp)
		}
		if r == bounceSent || r == bounceTriple {
			if err := os.Remove(path); err == nil {
				return
			} else {
				s.warn("message has been bounced but not removed! unable to unlink %s: %s", fn, djberr.Text(err))
			}
		}
		s.dead[fn] = true
		return
	}
	if status == 'D' {
		s.info("%s failed: %s", fn, text)
	} else {
		s.info("%s failed temporarily: %s", fn, text)
	}
	s.dead[fn] = true
}

type bounceResult int

const (
	bounceSent bounceResult = iota
	bounceTriple
	bounceReadError
	bounceQueueError
	bounceBadFormat
)

// bounceMessage sends the message at path back to its sender, as
// maildirserial's bounce does (a double bounce to doublebounceto; none
// for the sender #@[]).
func (s *serial) bounceMessage(path, why string, timeout bool) (bounceResult, int, string) {
	f, err := maildir.OpenMessage(path)
	if err != nil {
		return bounceReadError, 0, djberr.Text(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	sender, rcpt, _, ok, err := Envelope(br)
	if err != nil {
		return bounceReadError, 0, djberr.Text(err)
	}
	if !ok || strings.IndexByte(sender, 0) >= 0 {
		return bounceBadFormat, 0, ""
	}
	if sender == "#@[]" {
		return bounceTriple, 0, ""
	}
	bsender, brcpt := "", sender
	if sender == "" {
		bsender, brcpt = "#@[]", s.ctl.doubleTo
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Date: %s\n", received.Date822(s.now()))
	fmt.Fprintf(&b, "From: %s@%s\n", local.QuoteAddress(s.ctl.from), s.ctl.host)
	fmt.Fprintf(&b, "To: %s\n", local.QuoteAddress(brcpt))
	fmt.Fprintf(&b, "Subject: failure notice\n\nHi. This is the maildirbounce program at %s.\n", s.ctl.host)
	if sender != "" {
		b.WriteString("I'm afraid I wasn't able to deliver your message to the following address.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n")
	} else {
		b.WriteString("I tried to deliver a bounce message to this address, but the bounce bounced!\n\n")
	}
	fmt.Fprintf(&b, "<%s>:\n%s", strings.TrimPrefix(rcpt, s.prefix), why)
	if timeout {
		b.WriteString("This message is too old. Giving up.\n")
	}
	b.WriteString("\n")
	if sender != "" {
		b.WriteString("--- Below this line is a copy of the message.\n\n")
	} else {
		b.WriteString("--- Below this line is the original bounce.\n\n")
	}
	fmt.Fprintf(&b, "Return-Path: <%s>\n", local.QuoteAddress(sender))
	in := qqueue.Injection{Home: s.home, Program: qqueue.Program(s.inv.Getenv), Env: s.inv.Env, Stderr: s.inv.Stderr}
	res := in.Run(b.Bytes(), br, bsender, []string{brcpt})
	if !res.OK() {
		return bounceQueueError, 0, res.Reason()
	}
	return bounceSent, res.Pid, ""
}
