package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quail-mta/quail/bench/internal/postfix"
	"github.com/quail-mta/quail/internal/testbin"
)

// TestSMTPUTF8WithPostfix: quail's qmail-remote against Postfix's smtpd.
// With smtputf8_enable = yes, a message from and to UTF-8 addresses with
// UTF-8 header fields goes with SMTPUTF8 and is delivered as sent; with
// smtputf8_enable = no Postfix offers no SMTPUTF8 and qmail-remote
// bounces the message with RFC 6531's reason instead of sending it.
// (The test lives here because bench/internal/postfix runs the private
// Postfix instances.)
func TestSMTPUTF8WithPostfix(t *testing.T) {
	testbin.Peer(t, "postfix")
	if err := postfix.Available(); err != nil {
		t.Skip(err)
	}
	msg := "From: m\xc3\xbcller@quail.test\nTo: j\xc3\xb6rg@localhost\nSubject: gr\xc3\xbc\xc3\x9fe\n\nbody\n"
	rcpt := "j\xc3\xb6rg@localhost"
	for _, enable := range []string{"yes", "no"} {
		t.Run("smtputf8_enable="+enable, func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(filepath.Dir(dir), 0o755)
			in, err := postfix.Start(dir, postfix.Options{SMTPD: true, Main: map[string]string{"smtputf8_enable": enable}})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Stop()
			home := t.TempDir()
			os.MkdirAll(filepath.Join(home, "control"), 0o755)
			os.WriteFile(filepath.Join(home, "control", "me"), []byte("quail.test\n"), 0o644)
			os.WriteFile(filepath.Join(home, "control", "smtproutes"), []byte(":"+in.Addr+"\n"), 0o644)
			cmd := exec.Command(testbin.Path(t, "qmail-remote"), "localhost", "m\xc3\xbcller@quail.test", rcpt)
			cmd.Env = []string{"QMAILHOME=" + home, "DNSCACHEIP=127.0.0.1"}
			cmd.Stdin = strings.NewReader(msg)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("qmail-remote: %v", err)
			}
			reports := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			if enable == "no" {
				want := "DConnected to 127.0.0.1 but it does not offer SMTPUTF8, which the non-ASCII address m\xc3\xbcller@quail.test needs (#5.6.7).\n"
				if len(reports) != 1 || reports[0] != want {
					t.Errorf("reports %q, want %q", reports, want)
				}
				return
			}
			if len(reports) != 2 || reports[0] != "r" || !strings.HasPrefix(reports[1], "K127.0.0.1 accepted message.") {
				t.Fatalf("reports %q%s", reports, in.LogTail())
			}
			var got []byte
			if !testbin.Eventually(30*time.Second, func() bool {
				ents, _ := os.ReadDir(filepath.Join(in.Maildir, "new"))
				if len(ents) != 1 {
					return false
				}
				got, _ = os.ReadFile(filepath.Join(in.Maildir, "new", ents[0].Name()))
				return true
			}) {
				t.Fatalf("nothing delivered%s", in.LogTail())
			}
			// Postfix names the protocol UTF8SMTP (RFC 6531 3.7.3) only
			// when MAIL FROM asked for SMTPUTF8.
			for _, want := range []string{") with UTF8SMTP id ", "Subject: gr\xc3\xbc\xc3\x9fe\n", "To: j\xc3\xb6rg@localhost\n", "Delivered-To: " + rcpt + "\n", "Return-Path: <m\xc3\xbcller@quail.test>\n"} {
				if !strings.Contains(string(got), want) {
					t.Errorf("delivered message lacks %q:\n%s", want, got)
				}
			}
		})
	}
}
