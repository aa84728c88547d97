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

// TestBDATWithPostfix: quail's qmail-remote against Postfix's smtpd,
// which offers CHUNKING (RFC 3030) unless told not to. With it the
// message goes as one BDAT chunk, which Postfix counts in its disconnect
// line (bdat=1, no data=); without it, with DATA. Either way Postfix
// delivers the same message, dot lines and all.
func TestBDATWithPostfix(t *testing.T) {
	testbin.Peer(t, "postfix")
	if err := postfix.Available(); err != nil {
		t.Skip(err)
	}
	msg := "From: a@quail.test\nTo: bench@localhost\nSubject: chunks\n\n.leading dot\n.\nlast line\n"
	for _, c := range []struct{ discard, want string }{{"", " bdat=1 "}, {"chunking", " data=1 "}} {
		t.Run("smtpd_discard_ehlo_keywords="+c.discard, func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(filepath.Dir(dir), 0o755)
			in, err := postfix.Start(dir, postfix.Options{SMTPD: true, Main: map[string]string{"smtpd_discard_ehlo_keywords": c.discard}})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Stop()
			home := t.TempDir()
			os.MkdirAll(filepath.Join(home, "control"), 0o755)
			os.WriteFile(filepath.Join(home, "control", "me"), []byte("quail.test\n"), 0o644)
			os.WriteFile(filepath.Join(home, "control", "smtproutes"), []byte(":"+in.Addr+"\n"), 0o644)
			cmd := exec.Command(testbin.Path(t, "qmail-remote"), "localhost", "a@quail.test", in.Recipient)
			cmd.Env = []string{"QMAILHOME=" + home, "DNSCACHEIP=127.0.0.1"}
			cmd.Stdin = strings.NewReader(msg)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("qmail-remote: %v", err)
			}
			reports := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
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
			if !strings.HasSuffix(string(got), "\n\n.leading dot\n.\nlast line\n") || !strings.Contains(string(got), "\nSubject: chunks\n") {
				t.Errorf("delivered message:\n%s", got)
			}
			var disconnect string
			testbin.Eventually(10*time.Second, func() bool {
				log, _ := os.ReadFile(in.Log)
				for _, l := range strings.Split(string(log), "\n") {
					if strings.Contains(l, "disconnect from") && strings.Contains(l, " mail=1 ") {
						disconnect = l
						return true
					}
				}
				return false
			})
			if !strings.Contains(disconnect, c.want) {
				t.Errorf("Postfix's disconnect line %q lacks %q", disconnect, c.want)
			}
		})
	}
}
