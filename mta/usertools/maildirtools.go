package usertools

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quail-mta/quail/internal/cli"
	"github.com/quail-mta/quail/internal/djberr"
	"github.com/quail-mta/quail/internal/durable"
	"github.com/quail-mta/quail/mta/maildir"
	"github.com/quail-mta/quail/mta/mbox"
)

// MaildirMake is maildirmake(1): it makes a maildir, mode 0700.
func MaildirMake(inv *cli.Invocation) int {
	if len(inv.Args) < 2 {
		return inv.Usage("name")
	}
	name := inv.Args[1]
	if err := os.Mkdir(name, 0o700); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to mkdir %s: %v", name, djberr.QmailText(err))
	}
	for _, s := range maildir.Subdirs {
		if err := os.Mkdir(name+"/"+s, 0o700); err != nil {
			return inv.Fatal(cli.ExitTemporary, "unable to mkdir %s/%s: %v", name, s, djberr.QmailText(err))
		}
	}
	return 0
}

// Maildir2mbox is maildir2mbox(1): it moves the messages of $MAILDIR
// (new/ and cur/, oldest first) to the end of the mbox $MAIL, through the
// temporary file $MAILTMP, which must be on the same file system: $MAIL is
// locked, copied to $MAILTMP with the messages appended, $MAILTMP is
// fsync'd and renamed over $MAIL, and only then are the messages removed.
func Maildir2mbox(inv *cli.Invocation) int {
	dir, ok := inv.Getenv("MAILDIR")
	if !ok {
		return inv.Fatal(cli.ExitTemporary, "MAILDIR not set")
	}
	mail, ok := inv.Getenv("MAIL")
	if !ok {
		return inv.Fatal(cli.ExitTemporary, "MAIL not set")
	}
	tmp, ok := inv.Getenv("MAILTMP")
	if !ok {
		return inv.Fatal(cli.ExitTemporary, "MAILTMP not set")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		return inv.Fatal(cli.ExitTemporary, "unable to chdir to %s: %v", dir, djberr.QmailText(err))
	}
	now := time.Now()
	maildir.Clean(dir, now)
	msgs, err := maildir.Scan(dir, true, true, now)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	if len(msgs) == 0 {
		return 0
	}
	lock, err := os.OpenFile(mail, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to lock %s: %v", mail, djberr.QmailText(err))
	}
	defer lock.Close()
	if err := mbox.Lock(lock, mbox.LockTimeout); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to lock %s: %v", mail, err)
	}
	old, err := os.Open(mail)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to read %s: %v", mail, djberr.QmailText(err))
	}
	defer old.Close()
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to create %s: %v", tmp, djberr.QmailText(err))
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 64<<10)
	if _, err := io.Copy(bw, old); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to copy %s to %s: %v", mail, tmp, djberr.QmailText(err))
	}
	for _, m := range msgs {
		if err := appendMessage(bw, m); err != nil {
			return inv.Fatal(cli.ExitTemporary, "%v", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write to %s: %v", tmp, djberr.QmailText(err))
	}
	if err := out.Sync(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write to %s: %v", tmp, djberr.QmailText(err))
	}
	if err := out.Close(); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to write to %s: %v", tmp, djberr.QmailText(err))
	}
	if err := os.Rename(tmp, mail); err != nil {
		return inv.Fatal(cli.ExitTemporary, "unable to move %s to %s: %v", tmp, mail, djberr.QmailText(err))
	}
	// The new mbox must be durable before the messages go.
	if err := durable.SyncDir(filepath.Dir(mail)); err != nil {
		return inv.Fatal(cli.ExitTemporary, "%v", err)
	}
	for _, m := range msgs {
		if err := os.Remove(m.Path); err != nil {
			inv.Warn("$MAILDIR/%s/%s will be delivered twice; unable to unlink: %v", m.Subdir, m.Name, djberr.QmailText(err))
		}
	}
	return 0
}

// appendMessage writes one maildir message as an mbox entry. The From_
// line's sender comes from a first line "Return-Path: <sender>" (blanks
// made '-', MAILER-DAEMON for <>), "XXX" without one; its date is the
// file's modification time.
func appendMessage(w io.Writer, m maildir.Message) error {
	f, err := os.Open(m.Path)
	if err != nil {
		return fmt.Errorf("unable to read $MAILDIR/%s/%s: %v", m.Subdir, m.Name, djberr.QmailText(err))
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	first, _ := br.Peek(1024)
	sender := "XXX"
	if line, _, ok := bytes.Cut(first, []byte("\n")); ok && bytes.HasPrefix(line, []byte("Return-Path: <")) {
		rest := line[len("Return-Path: <"):]
		if len(rest) > 0 && rest[0] == '>' {
			sender = "MAILER-DAEMON"
		} else {
			s := strings.TrimSuffix(string(rest), ">")
			s = strings.NewReplacer(" ", "-", "\t", "-").Replace(s)
			sender = s
		}
	}
	from := "From " + sender + " " + mbox.Date(m.ModTime)
	if err := mbox.WriteMessage(w, from, nil, br); err != nil {
		return fmt.Errorf("unable to read $MAILDIR/%s/%s: %v", m.Subdir, m.Name, err)
	}
	return nil
}
