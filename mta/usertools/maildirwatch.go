package usertools

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/mta/maildir"
)

// WatchInterval is how long maildirwatch waits between screens.
const WatchInterval = 30 * time.Second

// maxSummaryRead bounds how much of one message maildirwatch reads.
const maxSummaryRead = 1 << 20

// MaildirWatch is maildirwatch(1): every 30 seconds it clears the
// terminal and shows each message in $MAILDIR/new: its envelope sender
// and recipient, its From: line, and the start of its subject and body.
// It runs until killed.
func MaildirWatch(inv *cli.Invocation) int {
	dir, ok := inv.Getenv("MAILDIR")
	if !ok {
		return inv.Fatal(cli.ExitTemporary, "MAILDIR not set")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return inv.Fatal(cli.ExitTemporary, "unable to chdir to %s", dir)
	}
	for {
		now := time.Now()
		maildir.Clean(dir, now)
		msgs, err := maildir.Scan(dir, true, false, now)
		if err != nil {
			return inv.Fatal(cli.ExitTemporary, "%v", err)
		}
		var screen bytes.Buffer
		screen.WriteString("\033[;H\033[;J")
		for _, m := range msgs {
			f, err := os.Open(m.Path)
			if err != nil {
				continue // taken by a reader meanwhile
			}
			s := Summarize(io.LimitReader(f, maxSummaryRead))
			f.Close()
			s.WriteTo(&screen)
		}
		if _, err := inv.Stdout.Write(screen.Bytes()); err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to write output: %v", err)
		}
		time.Sleep(WatchInterval)
	}
}

// Summary is what maildirwatch shows of one message.
type Summary struct {
	Sender    string // from Return-Path, brackets kept; "?" if none
	Recipient string // from Delivered-To; "?" if none
	FromLine  string // the whole From: field
	Text      string // subject, then body, at most 158 bytes
}

// maxText is how much subject and body maildirwatch shows.
const maxText = 158

// Summarize reads a message's header (fields with their continuation
// lines, up to the first empty line) and body.
func Summarize(r io.Reader) Summary {
	s := Summary{Sender: "?", Recipient: "?"}
	var text []byte
	add := func(b []byte) {
		if len(text) >= maxText {
			return
		}
		text = append(text, b...)
		if len(text) > maxText {
			text = text[:maxText]
		}
	}
	field := func(f []byte) {
		name, value := splitField(f)
		switch string(bytes.ToLower(name)) {
		case "subject":
			add(value)
		case "delivered-to":
			if len(value) > 0 {
				s.Recipient = string(value[:len(value)-1])
			}
		case "return-path":
			if len(value) > 0 {
				s.Sender = string(value[:len(value)-1])
			}
		case "from":
			s.FromLine = string(bytes.TrimSuffix(f, []byte("\n")))
		}
	}
	br := bufio.NewReader(r)
	var cur []byte // the header field being read, continuation lines included
	flush := func() {
		if cur != nil {
			field(cur)
			cur = nil
		}
	}
	inHeader := true
	for {
		line, err := br.ReadBytes('\n')
		switch {
		case len(line) == 0:
		case !inHeader:
			add(line)
		case len(line) == 1 && line[0] == '\n':
			flush()
			inHeader = false
		case (line[0] == ' ' || line[0] == '\t') && cur != nil:
			cur = append(cur, line...)
		case bytes.IndexByte(line, ':') < 0:
			// Not a header field: the body starts here.
			flush()
			inHeader = false
			add(line)
		default:
			flush()
			cur = append([]byte{}, line...)
		}
		if err != nil {
			break
		}
	}
	flush()
	s.Text = string(text)
	return s
}

// splitField returns a header field's name and its value after the colon
// and any following blanks and newlines (qmail's hfield_skipname).
func splitField(f []byte) (name, value []byte) {
	i := bytes.IndexByte(f, ':')
	if i < 0 {
		return nil, nil
	}
	name = bytes.TrimRight(f[:i], " \t")
	value = bytes.TrimLeft(f[i+1:], " \t\r\n")
	return name, value
}

func printable(s string, repl byte) string {
	b := []byte(s)
	for i, c := range b {
		if c < 32 || c > 126 {
			b[i] = repl
		}
	}
	return string(b)
}

// WriteTo prints the summary as maildirwatch does: control and 8-bit
// bytes made '?' in the addresses and '/' elsewhere, the From: line in
// bold.
func (s Summary) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	b.WriteString("FROM " + printable(s.Sender, '?') + " TO <" + printable(s.Recipient, '?') + ">\n")
	if s.FromLine != "" {
		b.WriteString("\033[1m" + printable(s.FromLine, '/') + "\033[0m\n")
	}
	b.WriteString(printable(s.Text, '/') + "\n\n")
	return b.WriteTo(w)
}
